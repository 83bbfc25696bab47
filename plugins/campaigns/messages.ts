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
  CAMPAIGN_INVALID_WINDOW: {
    'zh-CN': '活动时间不成立（{field}）：{detail}',
    en: 'The campaign window is impossible ({field}): {detail}',
  },
  CAMPAIGN_ENDED: {
    'zh-CN': '活动已结束，不能再修改或恢复',
    en: 'The campaign has ended and can no longer be changed or resumed',
  },
});

entityNames.Campaign = { 'zh-CN': '营销活动', en: 'Campaign' };
