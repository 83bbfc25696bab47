import { registerMessages } from '../../src/i18n/messages.ts';

registerMessages({
  AUTOMATION_INVALID: { 'zh-CN': '自动化设置有误（{field}）：{detail}', en: 'Invalid automation ({field}): {detail}' },
  AUTOMATION_TEMPLATE_VARIABLE: {
    'zh-CN': '消息模板中的变量 {value} 不存在；可用：{allowed}',
    en: 'The message template uses {value}, which is not a variable; there are: {allowed}',
  },
  AUTOMATION_NEEDS_PLUGIN: {
    'zh-CN': '这种触发需要安装 {plugin} 插件',
    en: 'This kind of trigger needs the {plugin} plugin, which is not installed',
  },
});
