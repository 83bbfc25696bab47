import { entityNames, registerMessages } from '../../src/i18n/messages.ts';

registerMessages({
  CAMPAIGN_INVALID: { 'zh-CN': '活动设置有误（{field}）：{detail}', en: 'Invalid campaign ({field}): {detail}' },
  CAMPAIGN_UNKNOWN_CATEGORY: {
    'zh-CN': '活动条件中的品类“{value}”不存在（{field}）',
    en: 'The campaign names the category "{value}", which no product has ({field})',
  },
  CAMPAIGN_UNKNOWN_SKU: {
    'zh-CN': '活动条件中的商品 {value} 不存在（{field}）',
    en: 'The campaign names the SKU {value}, which does not exist ({field})',
  },
  CAMPAIGN_UNKNOWN_STORE: {
    'zh-CN': '活动条件中的门店不存在（{field}）',
    en: 'The campaign names a store that does not exist ({field})',
  },
  CAMPAIGN_UNKNOWN_TIER: {
    'zh-CN': '活动条件中的会员等级 {value} 不存在（{field}）',
    en: 'The campaign names the member tier {value}, which does not exist ({field})',
  },
  CAMPAIGN_CONDITION_UNAVAILABLE: {
    'zh-CN': '活动条件 {field} 需要安装 {plugin} 插件',
    en: 'The campaign condition {field} needs the {plugin} plugin, which is not installed',
  },
  CAMPAIGN_ACTION_UNAVAILABLE: {
    'zh-CN': '活动优惠 {field} 需要安装 {plugin} 插件',
    en: 'The campaign action {field} needs the {plugin} plugin, which is not installed',
  },
  CAMPAIGN_INVALID_WINDOW: {
    'zh-CN': '活动时间不成立（{field}）：{detail}',
    en: 'The campaign window is impossible ({field}): {detail}',
  },
  CAMPAIGN_ENDED: {
    'zh-CN': '活动已结束，不能再修改或恢复',
    en: 'The campaign has ended and can no longer be changed or resumed',
  },
  COUPON_UNKNOWN: { 'zh-CN': '券码 {key} 不存在', en: 'There is no coupon {key}' },
  COUPON_EXPIRED: {
    'zh-CN': '券码 {code} 不在有效期内',
    en: 'The coupon {code} is not valid at this time (expired or not yet valid)',
  },
  COUPON_USED: { 'zh-CN': '券码 {code} 已使用', en: 'The coupon {code} has already been used' },
  COUPON_NOT_ELIGIBLE: {
    'zh-CN': '券码 {code} 不满足使用条件（{condition}）',
    en: 'The coupon {code} cannot be used on this sale ({condition})',
  },
  COUPON_TOO_MANY: { 'zh-CN': '一笔销售最多使用 {max} 张券', en: 'At most {max} coupons per sale' },
  COUPON_BATCH_INVALID: {
    'zh-CN': '发券设置有误（{field}）：{detail}',
    en: 'Invalid coupon batch ({field}): {detail}',
  },
});

entityNames.Coupon = { 'zh-CN': '优惠券', en: 'Coupon' };
entityNames.Campaign = { 'zh-CN': '营销活动', en: 'Campaign' };
