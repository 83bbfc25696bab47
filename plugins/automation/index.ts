import { fileURLToPath } from 'node:url';
import type { CalendarService } from '../../src/calendar/service.ts';
import { z } from 'zod';
import { definePlugin, parsePluginOptions } from '../../src/plugin-host/host.ts';
import { seedAutomationDemo } from './demo.ts';
import './events.ts';
import './messages.ts';
import { AutomationService, type Coupons, type RfmLayers } from './service.ts';
import { addAutomationTypes } from './types.ts';

declare module '../../src/auth/permissions.ts' {
  interface PluginPermissions {
    'automation:manage': true;
  }
}

const Options = z
  .object({
    /** How often triggers are evaluated (cron in JOB_TIMEZONE); quiet hours delay a message by at most this. */
    schedule: z.string().default('*/15 * * * *'),
    /** Sends one run writes per trigger at most (the rest go next run). */
    maxPerRun: z.number().int().min(1).max(100_000).default(5_000),
  })
  .strict();

/**
 * Marketing automation (营销自动化): 生日关怀, "we miss you" after a lapse, a first-purchase
 * anniversary, points about to expire, a welcome to a new tier, a move into an RFM layer, 会员日
 * — as data, evaluated by a job, each occasion sent once, only on channels the customer consented
 * to, never in quiet hours; the message goes to the merchant's own sender as a `customer.notification` webhook.
 * docs/plugins/automation.md.
 */
export function automationPlugin(input: z.input<typeof Options> = {}) {
  const options = parsePluginOptions('automation', Options, input);
  const service = new AutomationService(options);
  return definePlugin({
    name: 'automation',
    runsAfter: ['points', 'tiers', 'campaigns', 'rfm'],
    migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
    prismaSchema: fileURLToPath(new URL('./schema.prisma', import.meta.url)),
    permissions: [
      {
        name: 'automation:manage',
        description: 'marketing automation triggers, their sends and results',
        scope: 'chain',
        roles: ['OWNER'],
      },
    ],
    webhookEvents: {
      'customer.notification': {
        'zh-CN': '自动化触达：发给一位顾客的消息（只列其同意的渠道；不含手机号等地址，经 GraphQL 读取）',
        en: 'A message for one customer, for their consented channels (no addresses: read them by GraphQL)',
      },
    },
    schema: (builder) => addAutomationTypes(builder, service),
    setup: ({ services }) => {
      service.use({
        points: services.find('points') !== undefined,
        tiers: services.find('tiers') !== undefined,
        coupons: () => services.find<Coupons>('coupons'),
        rfm: () => services.find<RfmLayers>('rfm'),
        calendar: services.get<CalendarService>('calendar'),
      });
    },
    seedDemo: ({ db }) => seedAutomationDemo(db),
    customerData: {
      // What was sent to the person, and when: their own data.
      export: async (tx, ids) => ({
        sends: await tx.automationSend.findMany({
          where: { customerId: { in: ids }, outcome: 'SENT' },
          orderBy: { sentAt: 'asc' },
          select: { occasion: true, channels: true, messageZh: true, messageEn: true, sentAt: true },
        }),
      }),
      erase: async ({ tx }, ids) => {
        // The messages named the person: keep that a send happened (for the results), not what it said.
        await tx.automationSend.updateMany({
          where: { customerId: { in: ids } },
          data: { messageZh: null, messageEn: null },
        });
      },
    },
    jobs: [
      {
        name: 'automation.run',
        cron: options.schedule,
        run: async ({ db, events }, now) => ({ processed: await service.run(db, events, now) }),
      },
    ],
  });
}
