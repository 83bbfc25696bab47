import type { Db } from '../../src/db/tx.ts';

/**
 * The demo chain's triggers: a birthday greeting a week ahead, a "we miss you" after 90 days, and
 * the eve of 会员日 (core's demo stores have theirs on Wednesdays).
 */
export async function seedAutomationDemo(db: Db) {
  await db.automationTrigger.createMany({
    data: [
      {
        name: '生日关怀',
        kind: 'BIRTHDAY',
        days: 7,
        templateZh: '{name}，生日快乐！{date} 前到{store}出示会员码，享生日礼遇。',
        templateEn: 'Happy birthday, {name}! Show your member code at {store} by {date} for your birthday treat.',
        channels: ['WECHAT', 'SMS'],
        quietFrom: '21:00',
        quietTo: '09:00',
      },
      {
        name: '好久不见',
        kind: 'LAPSED',
        days: 90,
        templateZh: '{name}，好久不见！自 {date} 之后您还没来过{store}，新品已到店，欢迎回来看看。',
        templateEn: "{name}, we miss you! You haven't been to {store} since {date}; new arrivals are in.",
        channels: ['WECHAT', 'SMS'],
        quietFrom: '21:00',
        quietTo: '09:00',
        holdoutPercent: 10,
      },
      {
        name: '会员日提醒',
        kind: 'MEMBER_DAY',
        days: 1,
        templateZh: '{name}，{date}（{weekday}）是{store}会员日，会员专享礼遇，欢迎到店。',
        templateEn: '{name}, {weekday} {date} is member day at {store}: treats for members, see you there.',
        channels: ['WECHAT'],
        quietFrom: '21:00',
        quietTo: '09:00',
      },
    ],
  });
}
