import { registerMessages } from '../../src/i18n/messages.ts';
import type { Locale } from '../../src/i18n/locale.ts';
import type { RfmSegment } from '../../src/generated/prisma/enums.ts';

registerMessages({
  RFM_INVALID_CURSOR: {
    'zh-CN': '分页游标无效，请从第一页重新查询',
    en: 'Invalid page cursor; start again from the first page',
  },
});

type Text = Record<Locale, string>;

/**
 * The eight value layers as a merchant reads them: the name used by Chinese retail CRMs, and
 * what the layer means with the usual next step. Order is the display order of the dashboard.
 */
export const SEGMENT_TEXT: Record<RfmSegment, { name: Text; description: Text }> = {
  CHAMPIONS: {
    name: { 'zh-CN': '重要价值客户', en: 'Champions' },
    description: {
      'zh-CN': '最近消费、消费频次高、消费金额高：重点维护，提供专属权益',
      en: 'Bought recently, often and for a lot: look after them with exclusive benefits',
    },
  },
  POTENTIAL_LOYALISTS: {
    name: { 'zh-CN': '重要发展客户', en: 'Potential loyalists' },
    description: {
      'zh-CN': '最近消费、消费金额高但频次低：提升复购频次',
      en: 'Bought recently and for a lot, but rarely: encourage repeat visits',
    },
  },
  AT_RISK: {
    name: { 'zh-CN': '重要保持客户', en: 'At risk' },
    description: {
      'zh-CN': '消费频次高、金额高，但近期未到店：主动联系，防止流失',
      en: 'Bought often and for a lot, but not lately: reach out before they lapse',
    },
  },
  WIN_BACK: {
    name: { 'zh-CN': '重要挽留客户', en: 'Win back' },
    description: {
      'zh-CN': '消费金额高，但频次低且近期未到店：重点挽回',
      en: 'Spent a lot, but rarely and not lately: win them back',
    },
  },
  LOYAL: {
    name: { 'zh-CN': '一般价值客户', en: 'Loyal' },
    description: {
      'zh-CN': '最近消费、频次高，但金额较低：推荐高价值商品，提升客单价',
      en: 'Bought recently and often, for less: raise the basket with higher-value products',
    },
  },
  PROMISING: {
    name: { 'zh-CN': '一般发展客户', en: 'Promising' },
    description: {
      'zh-CN': '最近消费，但频次和金额较低：新客或偶尔光顾，培养消费习惯',
      en: 'Bought recently, but rarely and for less: new or occasional, build the habit',
    },
  },
  NEED_ATTENTION: {
    name: { 'zh-CN': '一般保持客户', en: 'Need attention' },
    description: {
      'zh-CN': '曾经常来但近期未到店，金额较低：用优惠唤回',
      en: 'Used to come often, not lately, spending less: bring them back with an offer',
    },
  },
  HIBERNATING: {
    name: { 'zh-CN': '一般挽留客户', en: 'Hibernating' },
    description: {
      'zh-CN': '近期未到店，频次和金额都较低：低成本触达即可',
      en: 'Not lately, rarely and for little: reach them at low cost',
    },
  },
};

export const SEGMENTS = Object.keys(SEGMENT_TEXT) as RfmSegment[];
