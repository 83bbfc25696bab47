// The ticketing plugin's events, added to core's event map so the bus, the outbox and
// subscriptions type them.
declare module '../../src/events/domain-events.ts' {
  interface DomainEvents {
    /** A ticket was opened, changed state, was assigned or commented on. */
    'ticket.updated': {
      ticketId: string;
      storeId: string;
      number: number;
      status: string;
      change: 'CREATED' | 'STATUS' | 'ASSIGNED' | 'COMMENT' | 'ESCALATED';
    };
    /** A ticket passed its SLA due time unresolved: raised once per breach by ticketing.breaches. */
    'ticket.breached': {
      ticketId: string;
      storeId: string;
      number: number;
      type: string;
      priority: string;
      dueAt: string;
      breachedAt: string;
      escalatedToStaffId: string | null;
    };
    /** An appointment starts within the plugin's reminderHours: raised once per appointment. */
    'appointment.reminder': {
      appointmentId: string;
      storeId: string;
      customerId: string;
      staffId: string | null;
      resource: string | null;
      startsAt: string;
      endsAt: string;
    };
    /** A follow-up rule was created or changed: the rules cached for sales are dropped. */
    'ticketing.rule.changed': { ruleId: string };
    /** A customer answered a ticket's satisfaction survey. */
    'ticket.surveyAnswered': { ticketId: string; storeId: string; score: number };
  }
}

export {};
