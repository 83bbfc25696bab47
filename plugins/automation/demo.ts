import type { Db } from '../../src/db/tx.ts';

/** The demo chain's triggers: a birthday greeting a week ahead, and a "we miss you" after 90 days. */
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
    ],
  });
}
