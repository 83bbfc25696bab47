export const TICKET_TYPES = ['COMPLAINT', 'INQUIRY', 'AFTER_SALES', 'RETURN_REQUEST', 'FEEDBACK'] as const;
export const TICKET_STATUSES = ['OPEN', 'IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED', 'CLOSED'] as const;
export const TICKET_PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export const TICKET_CHANNELS = [
  'STORE',
  'PHONE',
  'WECHAT',
  'MINI_PROGRAM',
  'WEBSITE',
  'ECOMMERCE',
  'EMAIL',
  'SOCIAL',
  'OTHER',
] as const;
export const ENTRY_KINDS = [
  'CREATED',
  'COMMENT',
  'INTERNAL_NOTE',
  'STATUS_CHANGE',
  'ASSIGNMENT',
  'ESCALATION',
] as const;

export type TicketType = (typeof TICKET_TYPES)[number];
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export type TicketChannel = (typeof TICKET_CHANNELS)[number];
export type EntryKind = (typeof ENTRY_KINDS)[number];

/**
 * The workflow: open → in progress → waiting on the customer → resolved → closed. Work may be
 * resolved from any working state; a resolved or closed ticket goes back to IN_PROGRESS
 * (reopened) only within the plugin's `reopenDays` of its resolution. Nothing else is accepted.
 */
export const TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  OPEN: ['IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'RESOLVED'],
  IN_PROGRESS: ['WAITING_ON_CUSTOMER', 'RESOLVED'],
  WAITING_ON_CUSTOMER: ['IN_PROGRESS', 'RESOLVED'],
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  CLOSED: ['IN_PROGRESS'],
};

export const isFinished = (s: TicketStatus) => s === 'RESOLVED' || s === 'CLOSED';
