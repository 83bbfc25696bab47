import { z } from 'zod';

export const TicketingOptionsSchema = z
  .object({
    /** A resolved or closed ticket may be reopened for this many days after its resolution. */
    reopenDays: z.number().int().min(0).max(365).default(7),
    /** A satisfaction survey token is valid this many days after the resolution. */
    surveyValidDays: z.number().int().min(1).max(90).default(7),
    /** Statutory days off (法定节假日) count no SLA time. */
    closedOnStatutoryHolidays: z.boolean().default(true),
    /** When the breach job runs (cron, JOB_TIMEZONE). */
    breachSchedule: z.string().default('*/5 * * * *'),
    /** Appointment reminders are raised this many hours before the start… */
    reminderHours: z.number().int().min(1).max(168).default(24),
    /** …by a job on this schedule. */
    reminderSchedule: z.string().default('*/5 * * * *'),
  })
  .strict();

export type TicketingOptions = z.output<typeof TicketingOptionsSchema>;
