import { fileURLToPath } from 'node:url';
import { definePlugin } from '../../src/plugin-host/host.ts';
import { seedRfmDemo } from './demo.ts';
import { SEGMENT_TEXT } from './messages.ts';
import type { RfmSegment } from '../../src/generated/prisma/enums.ts';
import type { Locale } from '../../src/i18n/locale.ts';
import { resolveRfmOptions, type RfmOptions } from './options.ts';
import { forgetMergedScore, scoreCustomers } from './service.ts';
import { addRfmTypes } from './types.ts';
import { rfmSegmentCondition } from './segments.ts';
import type { SegmentService } from '../../src/segments/service.ts';

export type { RfmOptions };

/** The service "rfm": a layer's name in each language (undefined for an unknown one). */
export interface RfmLayers {
  segmentName(segment: RfmSegment): Record<Locale, string> | undefined;
}

/**
 * RFM scoring (RFM 客户价值分层): every live customer who bought in the window is scored 1–5
 * on recency, frequency and monetary value by quintile of the customer base, and placed in one
 * of the eight classic value layers (重要价值客户 … 一般挽留客户). A scheduled job rescores the
 * whole base in one set-based statement; Customer.rfm, a dashboard and segment lists read it.
 */
export function rfmPlugin(options?: RfmOptions) {
  const resolved = resolveRfmOptions(options);
  return definePlugin({
    name: 'rfm',
    migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
    prismaSchema: fileURLToPath(new URL('./schema.prisma', import.meta.url)),
    schema: (builder) => addRfmTypes(builder),
    onCustomerMerge: forgetMergedScore,
    setup: ({ services }) => {
      // Core's segments read the layer through this condition (src/segments/conditions.ts).
      services.get<SegmentService>('segments').defineCondition(rfmSegmentCondition);
      // Other plugins (the automation plugin's RFM_SEGMENT_MOVED trigger) name the layers as merchants read them.
      services.provide<RfmLayers>('rfm', { segmentName: (segment) => SEGMENT_TEXT[segment]?.name });
    },
    // PIPL: the score is profiling of the person, exported with their data; erased with them (and
    // erased customers are left out of later runs).
    customerData: {
      export: async (tx, ids) => ({ scores: await tx.rfmScore.findMany({ where: { customerId: { in: ids } } }) }),
      erase: async ({ tx }, ids) => {
        await tx.rfmScore.deleteMany({ where: { customerId: { in: ids } } });
      },
    },
    seedDemo: ({ db }) => seedRfmDemo(db, resolved),
    jobs: [
      {
        name: 'rfm.score',
        cron: resolved.schedule,
        // A whole-base run takes seconds; minutes mean something is wrong, and it is retried.
        timeoutSeconds: 600,
        run: async ({ db }, now) => ({ processed: (await scoreCustomers(db, now, resolved)).customersScored }),
      },
    ],
  });
}
