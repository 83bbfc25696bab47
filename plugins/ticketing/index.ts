import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { CalendarService } from '../../src/calendar/service.ts';
import { definePlugin, parsePluginOptions } from '../../src/plugin-host/host.ts';
import './events.ts';
import './messages.ts';
import { TicketingOptionsSchema } from './options.ts';
import { sendReminders } from './appointments.ts';
import { seedTicketingDemo } from './demo.ts';
import { TicketService } from './service.ts';
import { addMyTicketTypes } from './storefront.ts';
import { addTicketTypes } from './types.ts';

declare module '../../src/auth/permissions.ts' {
  interface PluginPermissions {
    'ticketing:work': true;
    'ticketing:hours': true;
    'ticketing:configure': true;
    'ticketing:report': true;
  }
}

/**
 * Ticketing (客户服务): complaints, inquiries, after-sales cases, return requests and feedback,
 * tracked through a workflow to resolution, with a timeline, SLA due times in the store's
 * service hours, breach escalation and satisfaction surveys. docs/plugins/ticketing.md.
 */
export function ticketingPlugin(input: z.input<typeof TicketingOptionsSchema> = {}) {
  const options = parsePluginOptions('ticketing', TicketingOptionsSchema, input);
  const service = new TicketService(options);
  return definePlugin({
    name: 'ticketing',
    migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
    prismaSchema: fileURLToPath(new URL('./schema.prisma', import.meta.url)),
    permissions: [
      {
        name: 'ticketing:work',
        description: 'see, open and work the tickets of the store',
        scope: 'store',
        roles: ['OWNER', 'MANAGER', 'CASHIER', 'SALES_ASSOCIATE'],
      },
      {
        name: 'ticketing:hours',
        description: "set the store's service hours for SLAs",
        scope: 'store',
        roles: ['OWNER', 'MANAGER'],
      },
      {
        name: 'ticketing:report',
        description: 'service quality figures of the store',
        scope: 'store',
        roles: ['OWNER', 'MANAGER'],
      },
      {
        name: 'ticketing:configure',
        description: 'set the SLA table for the whole chain',
        scope: 'chain',
        roles: ['OWNER'],
      },
    ],
    webhookEvents: {
      'ticket.updated': {
        'zh-CN': '工单新建或变化（状态、指派、对客户的回复；内部备注除外）',
        en: 'A ticket was opened or changed (status, assignee, a reply to the customer; never internal notes)',
      },
      'ticket.breached': {
        'zh-CN': '工单超过处理时限（SLA）仍未解决，已升级给店长',
        en: 'A ticket passed its SLA due time unresolved and was escalated to the store manager',
      },
      'appointment.reminder': {
        'zh-CN': '预约即将开始（提前 reminderHours 小时提醒一次）',
        en: 'An appointment starts soon (once, reminderHours before)',
      },
      'ticket.surveyAnswered': {
        'zh-CN': '顾客提交了工单满意度评价',
        en: 'A customer answered the satisfaction survey of a ticket',
      },
    },
    schema: (builder) => {
      addMyTicketTypes(builder, addTicketTypes(builder, service));
    },
    setup: ({ services }) => service.use(services.get<CalendarService>('calendar')),
    seedDemo: (ctx) => seedTicketingDemo(ctx, service),
    // 售后回访: a customer's sale in a category with a follow-up rule creates the store's check task.
    saleSteps: [{ name: 'ticketing.followUps', afterWrite: (sale, unit) => service.tasksForSale(sale, unit) }],
    jobs: [
      {
        name: 'ticketing.breaches',
        cron: options.breachSchedule,
        run: async ({ db, events }, now) => ({ processed: await service.detectBreaches(db, events, now) }),
      },
      {
        name: 'ticketing.reminders',
        cron: options.reminderSchedule,
        run: async ({ db, events }, now) => ({
          processed: await sendReminders(db, events, now, options.reminderHours),
        }),
      },
    ],
    onCustomerMerge: async ({ survivorId, mergedId }, { tx }) => {
      for (const table of ['Ticket', 'FollowUpTask', 'ServiceAppointment'])
        await tx.$executeRawUnsafe(
          `UPDATE "${table}" SET "customerId" = $1::uuid WHERE "customerId" = $2::uuid`,
          survivorId,
          mergedId,
        );
    },
    customerData: {
      export: async (tx, ids) => ({
        tickets: await tx.$queryRaw`
          SELECT number::int AS number, type, channel, status, subject, description, "createdAt", "resolvedAt"
          FROM "Ticket" WHERE "customerId" = ANY (${ids}::uuid[]) ORDER BY "createdAt"`,
        ticketSurveys: await tx.$queryRaw`
          SELECT t.number::int AS number, s.score, s.comment, s."answeredAt" FROM "TicketSurvey" s
          JOIN "Ticket" t ON t.id = s."ticketId"
          WHERE t."customerId" = ANY (${ids}::uuid[]) AND s."answeredAt" IS NOT NULL ORDER BY s."answeredAt"`,
        followUpTasks: await tx.$queryRaw`
          SELECT kind, status, "dueDate", note, "completedAt" FROM "FollowUpTask"
          WHERE "customerId" = ANY (${ids}::uuid[]) ORDER BY "createdAt"`,
        appointments: await tx.$queryRaw`
          SELECT status, resource, "startsAt", "endsAt", note FROM "ServiceAppointment"
          WHERE "customerId" = ANY (${ids}::uuid[]) ORDER BY "startsAt"`,
      }),
      // The free text may name the person: subjects, descriptions, the timeline and survey comments
      // are blanked; the tickets stay (types, times, scores) for the service-quality figures.
      erase: async ({ tx }, ids) => {
        await tx.$executeRaw`
          UPDATE "TicketEntry" SET body = '', attachments = '[]' WHERE "ticketId" IN (
            SELECT id FROM "Ticket" WHERE "customerId" = ANY (${ids}::uuid[]))`;
        await tx.$executeRaw`
          UPDATE "TicketSurvey" SET comment = NULL WHERE "ticketId" IN (
            SELECT id FROM "Ticket" WHERE "customerId" = ANY (${ids}::uuid[]))`;
        await tx.$executeRaw`
          UPDATE "Ticket" SET subject = '（已删除）', description = '' WHERE "customerId" = ANY (${ids}::uuid[])`;
        await tx.$executeRaw`UPDATE "FollowUpTask" SET note = '' WHERE "customerId" = ANY (${ids}::uuid[])`;
        await tx.$executeRaw`UPDATE "ServiceAppointment" SET note = '' WHERE "customerId" = ANY (${ids}::uuid[])`;
      },
    },
  });
}
