import type { Db, Tx } from '../../src/db/tx.ts';
import type { EventBus } from '../../src/events/bus.ts';
import type { CacheRegion, ReferenceCache } from '../../src/events/reference-cache.ts';
import { runInTransaction, type Unit } from '../../src/events/transaction.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { Tier } from '../../src/generated/prisma/client.ts';
import type { SaleDraft, WrittenSale } from '../../src/sales/pipeline.ts';
import { lineDue } from '../../src/sales/pricing.ts';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { PointsService } from '../points/index.ts';
import './events.ts';
import { addMonths } from '../../src/stores/time.ts';
import type { ResolvedTierOptions } from './options.ts';
import { highestQualifying, type Qualification, reviewDecision } from './rules.ts';

/** "金卡会员 9.5折" / "金卡会员 member discount 5 %": what the till shows for a tier's discount. */
export function tierDiscountLabel(tier: { name: string; discountPercent: Prisma.Decimal }) {
  const zhe = new Prisma.Decimal(100).sub(tier.discountPercent).div(10);
  return {
    'zh-CN': `${tier.name} ${zhe.toString()}折`,
    en: `${tier.name} member discount ${tier.discountPercent.toString()} %`,
  };
}

/** The tiers plugin's service: checkout discount, upgrades after sales, reviews with grace. */
export class TierService {
  private points: PointsService | null = null;

  private cached: CacheRegion<Tier[]> | null = null;

  constructor(readonly options: ResolvedTierOptions) {}

  usePoints(points: PointsService) {
    this.points = points;
  }

  /** Tier definitions are read several times per member sale and change a few times a year. */
  useCache(cache: ReferenceCache) {
    this.cached = cache.region<Tier[]>('tiers', ['tier.definition.changed']);
  }

  async allTiers(tx: Tx | Db): Promise<Tier[]> {
    const load = () => tx.tier.findMany({ orderBy: { rank: 'asc' } });
    return this.cached ? ((await this.cached.get('all', load)) ?? []) : load();
  }

  /** Spend net of refunds, visits (sales not wholly refunded) and points earned over the window. */
  async qualification(
    tx: Tx | Db,
    customerId: string,
    at: Date,
    withCte: Prisma.Sql = Prisma.empty,
  ): Promise<Qualification> {
    const from = addMonths(at, -this.options.windowMonths);
    const points = this.points ? this.points.earnedSinceSql(customerId, from) : Prisma.sql`0`;
    const [row] = await tx.$queryRaw<{ spend: Prisma.Decimal | null; visits: number; points: number }[]>`
      ${withCte}
      SELECT coalesce(sum(total - "refundedTotal"), 0) AS spend,
        count(*) FILTER (WHERE status <> 'REFUNDED')::int AS visits, ${points} AS points
      FROM "Sale" WHERE "customerId" = ${customerId}::uuid AND "occurredAt" > ${from} AND "occurredAt" <= ${at}`;
    return { spend: new Prisma.Decimal(row?.spend ?? 0), visits: row?.visits ?? 0, pointsEarned: row?.points ?? 0 };
  }

  /** The same figures for every customer with sales in the window, in two statements (demo data, bulk checks). */
  async qualificationsOfAll(db: Tx | Db, at: Date): Promise<Map<string, Qualification>> {
    const from = addMonths(at, -this.options.windowMonths);
    const rows = await db.$queryRaw<{ customerId: string; spend: Prisma.Decimal; visits: number }[]>`
      SELECT "customerId"::text AS "customerId", coalesce(sum(total - "refundedTotal"), 0) AS spend,
             count(*) FILTER (WHERE status <> 'REFUNDED')::int AS visits
      FROM "Sale" WHERE "customerId" IS NOT NULL AND "occurredAt" > ${from} AND "occurredAt" <= ${at}
      GROUP BY "customerId"`;
    const points = this.points ? await this.points.earnedSinceByCustomer(db, from) : new Map<string, number>();
    return new Map(
      rows.map((r) => [
        r.customerId,
        { spend: new Prisma.Decimal(r.spend), visits: r.visits, pointsEarned: points.get(r.customerId) ?? 0 },
      ]),
    );
  }

  highestQualifying(tiers: Tier[], q: Qualification): Tier | null {
    return highestQualifying(tiers, q);
  }

  /**
   * Before the sale is written: lock the member's tier row (creating it in the entry tier) and
   * give the tier's discount on every line. Locking here rather than after the sale is written
   * means one round trip serves both the discount and the upgrade check, and concurrent sales of
   * one member are evaluated one after the other, the last seeing them all.
   */
  async beforeSale(draft: SaleDraft, unit: Unit) {
    if (!draft.customerId || !draft.memberId) return;
    const tiers = await this.allTiers(unit.tx);
    if (!tiers.length) return;
    const tier = await this.lockMemberTier(unit, draft.customerId, tiers, new Date());
    let amount = new Prisma.Decimal(0);
    if (tier.discountPercent.gt(0)) {
      // Line by line, each rounded to the fen, on what the line still charges.
      const given = draft.adjust({
        source: 'tiers',
        sourceId: encodeGlobalID('Tier', tier.id),
        label: tierDiscountLabel(tier),
        lines: draft.lines.map((line) => ({
          lineNo: line.lineNo,
          amount: lineDue(line).mul(tier.discountPercent).div(100),
        })),
      });
      amount = given?.amount ?? amount;
    }
    draft.notes.tiers = { tier, amount } satisfies AppliedTier;
  }

  /** The member's tier as the checkout step found it for this sale, if it ran. */
  tierFoundAtCheckout(sale: Pick<SaleDraft, 'notes'>): Tier | null {
    return (sale.notes.tiers as AppliedTier | undefined)?.tier ?? null;
  }

  /**
   * After the sale is written (same transaction): record the discount it received, then upgrade
   * the member at once if the sale made them qualify for a higher tier — one round trip for both.
   * The tier row was locked before the sale, so the sums include every sale committed before it.
   */
  async afterSale(sale: WrittenSale, unit: Unit) {
    const applied = sale.notes.tiers as AppliedTier | undefined;
    if (!applied || !sale.customerId) return;
    const { tx } = unit;
    const benefit = applied.amount.gt(0)
      ? Prisma.sql`WITH benefit AS (
          INSERT INTO "SaleTierBenefit" ("saleId", "tierId", "tierCode", "tierName", "discountPercent",
                                         "discountAmount")
          VALUES (${sale.id}::uuid, ${applied.tier.id}::uuid, ${applied.tier.code}, ${applied.tier.name},
                  ${applied.tier.discountPercent.toString()}::numeric, ${applied.amount.toFixed(2)}::numeric))`
      : Prisma.empty;
    const tiers = await this.allTiers(tx);
    if (applied.tier.rank >= tiers.at(-1)!.rank) {
      // Already at the top: nothing to qualify for, only the discount to record.
      if (applied.amount.gt(0)) await tx.$executeRaw`${benefit} SELECT 1`;
      return;
    }
    const now = new Date();
    const q = await this.qualification(tx, sale.customerId, now, benefit);
    const best = this.highestQualifying(tiers, q);
    if (best && best.rank > applied.tier.rank)
      await this.change(unit, sale.customerId, applied.tier, best, 'UPGRADE', now, sale.id);
  }

  /** Locks the member's tier row, creating it in the entry tier (and its INITIAL history) if needed. */
  private async lockMemberTier({ tx, emit }: Unit, customerId: string, tiers: Tier[], now: Date): Promise<Tier> {
    const entry = tiers[0]!;
    // One round trip: creates the row in the entry tier, or locks the existing one (a no-op update).
    // xmax is 0 only on a row this statement inserted.
    const [row] = await tx.$queryRaw<{ tierId: string; inserted: boolean }[]>`
      INSERT INTO "MemberTier" ("customerId", "tierId", "since", "reviewAt", "updatedAt")
      VALUES (${customerId}::uuid, ${entry.id}::uuid, ${now}, ${addMonths(now, this.options.reviewMonths)}, ${now})
      ON CONFLICT ("customerId") DO UPDATE SET "customerId" = EXCLUDED."customerId"
      RETURNING "tierId"::text AS "tierId", (xmax = 0) AS inserted`;
    if (row!.inserted) {
      await tx.tierChange.create({ data: { customerId, toTierId: entry.id, reason: 'INITIAL', changedAt: now } });
      emit('tier.changed', {
        customerId,
        fromTier: null,
        toTier: entry.code,
        reason: 'INITIAL',
        changedAt: now.toISOString(),
      });
    }
    return tiers.find((t) => t.id === row!.tierId) ?? entry;
  }

  private async change(
    { tx, emit }: Unit,
    customerId: string,
    from: Tier,
    to: Tier,
    reason: 'UPGRADE' | 'DOWNGRADE',
    now: Date,
    saleId: string | null = null,
  ) {
    await tx.memberTier.update({
      where: { customerId },
      data: { tierId: to.id, since: now, reviewAt: addMonths(now, this.options.reviewMonths), graceUntil: null },
    });
    await tx.tierChange.create({
      data: { customerId, fromTierId: from.id, toTierId: to.id, reason, saleId, changedAt: now },
    });
    emit('tier.changed', { customerId, fromTier: from.code, toTier: to.code, reason, changedAt: now.toISOString() });
  }

  /**
   * Job: members due for review keep their tier if they still qualify (next review a period
   * later); otherwise they get `graceDays`, and are moved down to the highest tier they qualify
   * for once the grace has passed. Safe to run twice for the same moment.
   */
  async review(db: Db, events: EventBus, now: Date): Promise<number> {
    const due = await db.memberTier.findMany({
      where: { reviewAt: { lte: now }, OR: [{ graceUntil: null }, { graceUntil: { lte: now } }] },
      select: { customerId: true },
    });
    let processed = 0;
    for (const { customerId } of due) {
      const changed = await runInTransaction(db, events, async (unit) => {
        const { tx } = unit;
        const tiers = await this.allTiers(tx);
        const current = await this.lockMemberTier(unit, customerId, tiers, now);
        const record = await tx.memberTier.findUniqueOrThrow({ where: { customerId } });
        if (record.reviewAt > now || (record.graceUntil && record.graceUntil > now)) return false; // reviewed meanwhile
        const q = await this.qualification(tx, customerId, now);
        const decision = reviewDecision(tiers, current, q, record.graceUntil, now, this.options.graceDays);
        if (decision.action === 'KEEP') {
          await tx.memberTier.update({
            where: { customerId },
            data: { reviewAt: addMonths(record.reviewAt, this.options.reviewMonths), graceUntil: null },
          });
          if (decision.upgradeTo) await this.change(unit, customerId, current, decision.upgradeTo, 'UPGRADE', now);
        } else if (decision.action === 'GRACE') {
          await tx.memberTier.update({ where: { customerId }, data: { graceUntil: decision.until } });
        } else {
          await this.change(unit, customerId, current, decision.to, 'DOWNGRADE', now);
        }
        return true;
      });
      if (changed) processed += 1;
    }
    return processed;
  }

  /** Inside a customer merge: the survivor keeps the higher tier; the merged history moves over. */
  async merge({ survivorId, mergedId }: { survivorId: string; mergedId: string }, { tx }: Unit) {
    const [a, b] = await Promise.all([
      tx.memberTier.findUnique({ where: { customerId: survivorId } }),
      tx.memberTier.findUnique({ where: { customerId: mergedId } }),
    ]);
    await tx.tierChange.updateMany({ where: { customerId: mergedId }, data: { customerId: survivorId } });
    if (!b) return;
    const tiers = await this.allTiers(tx);
    const rank = (id: string) => tiers.find((t) => t.id === id)?.rank ?? 0;
    if (!a)
      await tx.memberTier.create({
        data: {
          customerId: survivorId,
          tierId: b.tierId,
          since: b.since,
          reviewAt: b.reviewAt,
          graceUntil: b.graceUntil,
        },
      });
    else if (rank(b.tierId) > rank(a.tierId)) {
      await tx.memberTier.update({
        where: { customerId: survivorId },
        data: { tierId: b.tierId, since: b.since, reviewAt: b.reviewAt, graceUntil: b.graceUntil },
      });
    }
    await tx.memberTier.delete({ where: { customerId: mergedId } });
  }
}

/** What the checkout step found and gave, left on the sale for the steps after it. */
interface AppliedTier {
  tier: Tier;
  amount: Prisma.Decimal;
}
