import { entityNames, registerMessages } from '../../src/i18n/messages.ts';

registerMessages({
  INVALID_TIER: { 'zh-CN': '会员等级设置有误：{detail}', en: 'Invalid tier: {detail}' },
});

entityNames.Tier = { 'zh-CN': '会员等级', en: 'Tier' };
