import { entityNames, registerMessages } from '../../src/i18n/messages.ts';

registerMessages({
  TICKET_INVALID_TRANSITION: {
    'zh-CN': '工单当前状态为“{current}”，不能改为“{target}”',
    en: 'The ticket is {currentEn}; it cannot become {targetEn}',
  },
  TICKET_REOPEN_WINDOW_PASSED: {
    'zh-CN': '工单已解决超过 {days} 天，不能重新打开，请新建工单',
    en: 'The ticket was resolved more than {days} days ago and can no longer be reopened; open a new one',
  },
  TICKET_INVALID: { 'zh-CN': '工单信息有误（{field}）：{detail}', en: 'Invalid ticket ({field}): {detail}' },
  TICKET_SALE_NOT_CUSTOMERS: {
    'zh-CN': '关联的销售不是该顾客的',
    en: 'The related sale is not the customer’s',
  },
  TICKET_SALE_LINE_UNKNOWN: {
    'zh-CN': '关联的销售没有第 {lineNo} 行',
    en: 'The related sale has no line {lineNo}',
  },
  TICKET_ASSIGNEE_NOT_IN_STORE: {
    'zh-CN': '{name} 不在该门店工作，不能处理此工单',
    en: '{name} does not work in the ticket’s store and cannot be assigned',
  },
  TICKET_ATTACHMENT_INVALID: {
    'zh-CN': '附件 {index} 有误：{detail}',
    en: 'Attachment {index} is invalid: {detail}',
  },
  TICKET_SURVEY_INVALID: {
    'zh-CN': '满意度调查链接无效',
    en: 'This satisfaction survey link is not valid',
  },
  TICKET_SURVEY_USED: {
    'zh-CN': '这份满意度调查已经提交过了，感谢您的反馈',
    en: 'This satisfaction survey has already been answered; thank you',
  },
  TICKET_SURVEY_EXPIRED: {
    'zh-CN': '满意度调查链接已于 {expiredAt} 过期',
    en: 'This satisfaction survey link expired on {expiredAt}',
  },
});

entityNames.Ticket = { 'zh-CN': '工单', en: 'Ticket' };

/** Status names as people read them. */
export const STATUS_NAMES: Record<string, { 'zh-CN': string; en: string }> = {
  OPEN: { 'zh-CN': '待处理', en: 'open' },
  IN_PROGRESS: { 'zh-CN': '处理中', en: 'in progress' },
  WAITING_ON_CUSTOMER: { 'zh-CN': '等待客户', en: 'waiting on the customer' },
  RESOLVED: { 'zh-CN': '已解决', en: 'resolved' },
  CLOSED: { 'zh-CN': '已关闭', en: 'closed' },
};

registerMessages({
  APPOINTMENT_OVERLAP: {
    'zh-CN': '{who}在 {startsAt} 至 {endsAt} 已有预约，时间冲突',
    en: '{whoEn} already has an appointment from {startsAt} to {endsAt}',
  },
  APPOINTMENT_INVALID: { 'zh-CN': '预约信息有误（{field}）：{detail}', en: 'Invalid appointment ({field}): {detail}' },
  APPOINTMENT_NOT_BOOKED: {
    'zh-CN': '预约状态为 {status}，不能再取消或变更',
    en: 'The appointment is {status} and can no longer be cancelled or changed',
  },
  FOLLOW_UP_INVALID: { 'zh-CN': '跟进任务有误（{field}）：{detail}', en: 'Invalid follow-up task ({field}): {detail}' },
  FOLLOW_UP_NOT_OPEN: {
    'zh-CN': '跟进任务已{status}，不能再完成或取消',
    en: 'The follow-up task is already {statusEn} and cannot be completed or cancelled',
  },
});

entityNames.FollowUpTask = { 'zh-CN': '跟进任务', en: 'Follow-up task' };
entityNames.ServiceAppointment = { 'zh-CN': '预约', en: 'Appointment' };
