import { entityNames, registerMessages } from '../../src/i18n/messages.ts';

registerMessages({
  INSUFFICIENT_POINTS: {
    'zh-CN': '积分不足：需要 {requested}，可用 {available}',
    en: 'Not enough points: {requested} needed, {available} available',
  },
  POINTS_NEED_MEMBER: { 'zh-CN': '只有会员可以使用积分付款', en: 'Only members can pay with points' },
  POINTS_SHARE_TOO_LARGE: {
    'zh-CN': '积分最多抵扣订单金额的 {share}%（本单最多 ¥{max}）',
    en: 'Points may pay at most {share}% of a sale (¥{max} here)',
  },
  POINTS_AMOUNT_NOT_WHOLE: {
    'zh-CN': '积分抵扣金额须换算为整数积分（每元 {ratio} 积分）',
    en: 'The amount paid with points must be a whole number of points ({ratio} points per yuan)',
  },
  INVALID_POINTS_RULE: { 'zh-CN': '积分规则有误：{detail}', en: 'Invalid points rule: {detail}' },
});

entityNames.PointsRule = { 'zh-CN': '积分规则', en: 'Points rule' };
