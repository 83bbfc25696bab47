import { randomInt } from 'node:crypto';
import { InvalidInputError, InvalidStateError, NotFoundError, type UserError } from '../../src/errors/index.ts';
import type { Db, Tx } from '../../src/db/tx.ts';
import type { MessageCode } from '../../src/i18n/messages.ts';
import type { SaleFacts } from './engine.ts';

/**
 * Coupons (优惠券): codes issued in batches for a campaign that requires one, redeemed through the
 * sale input `couponCodes`. A code is unguessable: 10 characters drawn with `crypto.randomInt`
 * from 31 that cannot be mistaken for each other (no 0/O, 1/I/L), about 8 · 10^14 codes, after an
 * optional prefix.
 */

export const COUPON_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const COUPON_CODE_LENGTH = 10;
export const MAX_COUPONS_PER_SALE = 5;

export function newCouponCode(prefix: string): string {
  let code = prefix;
  for (let i = 0; i < COUPON_CODE_LENGTH; i++) code += COUPON_ALPHABET[randomInt(COUPON_ALPHABET.length)];
  return code;
}

/** The codes a sale presents, as typed at a till (case and surrounding spaces do not matter), once each. */
export function couponCodesOf(value: unknown): string[] {
  if (!Array.isArray(value) || !value.length) return [];
  if (value.length > MAX_COUPONS_PER_SALE)
    throw new InvalidInputError('COUPON_TOO_MANY', { max: MAX_COUPONS_PER_SALE }, ['input', 'couponCodes']);
  return [...new Set(value.map((v) => String(v).trim().toUpperCase()))];
}

/** A coupon a sale presented, its row locked until the sale commits. */
export interface PresentedCoupon {
  id: string;
  code: string;
  /** Its position in the sale's `couponCodes`, for the error's field. */
  index: number;
  campaignId: string;
}

/** A coupon as the plugin reads it (the `Coupon` table). */
export interface CouponRow {
  id: string;
  code: string;
  campaignId: string;
  customerId: string | null;
  maxUses: number;
  uses: number;
  validFrom: Date | null;
  validUntil: Date | null;
}

export function couponError(
  code: 'COUPON_UNKNOWN' | 'COUPON_EXPIRED' | 'COUPON_USED' | 'COUPON_NOT_ELIGIBLE',
  coupon: { code: string; index: number },
  params: Record<string, string> = {},
): UserError {
  const field = ['input', 'couponCodes', coupon.index];
  const all = { code: coupon.code, ...params };
  if (code === 'COUPON_UNKNOWN') return new NotFoundError('Coupon', coupon.code, field, code as MessageCode);
  return code === 'COUPON_NOT_ELIGIBLE'
    ? new InvalidInputError(code, all, field)
    : new InvalidStateError(code, all, field);
}

/**
 * Locks the presented coupons (in code order, so two sales never wait on each other crosswise)
 * and checks each one: it exists, is within its validity at the sale's time, has a use left and
 * belongs to the buyer when it was issued to a customer. Keyed by campaign; two codes of one
 * campaign on a sale: the second is not eligible.
 */
export async function lockCoupons(tx: Tx, codes: string[], facts: SaleFacts): Promise<Map<string, PresentedCoupon>> {
  const rows = await tx.$queryRaw<CouponRow[]>`
    SELECT k.id::text AS id, k.code, k."campaignId"::text AS "campaignId", k."customerId"::text AS "customerId",
      k."maxUses", k.uses, k."validFrom", k."validUntil"
    FROM "Coupon" k WHERE k.code = ANY (${codes}::text[]) ORDER BY k.code FOR UPDATE`;
  const byCode = new Map(rows.map((r) => [r.code, r]));
  const out = new Map<string, PresentedCoupon>();
  codes.forEach((code, index) => {
    const row = byCode.get(code);
    const at = { code, index };
    if (!row) throw couponError('COUPON_UNKNOWN', at);
    if ((row.validFrom && facts.at < row.validFrom) || (row.validUntil && facts.at >= row.validUntil))
      throw couponError('COUPON_EXPIRED', at);
    if (row.uses >= row.maxUses) throw couponError('COUPON_USED', at);
    if (row.customerId && row.customerId !== facts.customerId)
      throw couponError('COUPON_NOT_ELIGIBLE', at, { condition: 'customer' });
    if (out.has(row.campaignId)) throw couponError('COUPON_NOT_ELIGIBLE', at, { condition: 'oneCouponPerCampaign' });
    out.set(row.campaignId, {
      id: row.id,
      code,
      index,
      campaignId: row.campaignId,
    });
  });
  return out;
}

export interface IssueInput {
  campaignId: string;
  count: number;
  prefix?: string | null;
  maxUses?: number | null;
  validFrom?: Date | null;
  validUntil?: Date | null;
  validDays?: number | null;
  customerId?: string | null;
  /** 0 codes now: a batch an ISSUE_COUPON campaign fills one code per qualifying sale. */
  forRewards?: boolean | null;
}

const batchError = (field: string, detail: string) =>
  new InvalidInputError('COUPON_BATCH_INVALID', { field, detail }, ['input', field]);

/** Issues a batch of codes for a campaign that requires a coupon; returns the batch's id. */
export async function issueCoupons(tx: Tx, input: IssueInput, now: Date): Promise<string> {
  const [campaign] = await tx.$queryRaw<{ status: string; requiresCoupon: boolean }[]>`
    SELECT status, "requiresCoupon" FROM "Campaign" WHERE id = ${input.campaignId}::uuid`;
  if (!campaign) throw new NotFoundError('Campaign', input.campaignId, ['input', 'campaignId']);
  if (campaign.status === 'ENDED') throw new InvalidStateError('CAMPAIGN_ENDED', {}, ['input', 'campaignId']);
  if (!campaign.requiresCoupon) throw batchError('campaignId', 'the campaign does not require a coupon');
  const min = input.forRewards ? 0 : 1;
  if (!Number.isInteger(input.count) || input.count < min || input.count > 10_000)
    throw batchError('count', `${min} to 10000 codes`);
  if (input.forRewards && input.customerId) throw batchError('customerId', 'a reward batch issues to each buyer');
  if (input.forRewards && input.count !== 0) throw batchError('count', 'a reward batch starts empty: 0');
  const prefix = (input.prefix ?? '').trim().toUpperCase();
  if (!/^[A-Z0-9]{0,8}$/.test(prefix)) throw batchError('prefix', 'up to 8 letters or digits');
  const maxUses = input.maxUses ?? 1;
  if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 1000) throw batchError('maxUses', '1 to 1000');
  if (input.validDays != null && input.validUntil)
    throw batchError('validDays', 'give validUntil or validDays, not both');
  if (input.validDays != null && (!Number.isInteger(input.validDays) || input.validDays < 1 || input.validDays > 3650))
    throw batchError('validDays', '1 to 3650 days');
  const validFrom = input.validFrom ?? null;
  // A reward batch keeps validDays: each code is valid that long from the sale that issues it.
  const validUntil =
    input.validDays != null && !input.forRewards
      ? new Date((validFrom ?? now).getTime() + input.validDays * 86_400_000)
      : (input.validUntil ?? null);
  if (validUntil && validFrom && validUntil <= validFrom) throw batchError('validUntil', 'ends before it starts');
  if (validUntil && validUntil <= now) throw batchError('validUntil', 'ends in the past');
  if (input.customerId) {
    const [c] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM "Customer" WHERE id = ${input.customerId}::uuid AND "mergedIntoId" IS NULL`;
    if (!c) throw new NotFoundError('Customer', input.customerId, ['input', 'customerId']);
  }
  const [batch] = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "CouponBatch" ("campaignId", prefix, count, "maxUses", "validFrom", "validUntil", "customerId",
      "validDays", "forRewards")
    VALUES (${input.campaignId}::uuid, ${prefix}, ${input.count}, ${maxUses}, ${validFrom}, ${validUntil},
      ${input.customerId ?? null}::uuid, ${input.forRewards ? (input.validDays ?? null) : null}, ${!!input.forRewards})
    RETURNING id::text AS id`;
  // A collision with an existing code is astronomically rare; the unique index catches it and that code is drawn again.
  let left = input.count;
  for (let round = 0; left > 0 && round < 5; round++) {
    const codes = Array.from({ length: left }, () => newCouponCode(prefix));
    const inserted = await tx.$queryRaw<{ code: string }[]>`
      INSERT INTO "Coupon" (code, "batchId", "campaignId", "customerId", "maxUses", "validFrom", "validUntil")
      SELECT code, ${batch!.id}::uuid, ${input.campaignId}::uuid, ${input.customerId ?? null}::uuid, ${maxUses},
        ${validFrom}, ${validUntil}
      FROM unnest(${codes}::text[]) AS code
      ON CONFLICT (code) DO NOTHING RETURNING code`;
    left -= inserted.length;
  }
  if (left > 0) throw new Error('Could not draw unique coupon codes.');
  return batch!.id;
}

/**
 * One code of a reward batch for a customer, in the caller's transaction: 满额返券 (the buyer of a
 * sale that met an ISSUE_COUPON campaign; the sale is kept on the code, so a refund of the whole
 * sale ends it while unused) or a message of the automation plugin (no sale). Valid from `at` for
 * the batch's `validDays` (or until its `validUntil`). The batch's row is only read, so concurrent
 * sales do not queue on it (its count is its codes').
 */
export async function issueFromBatch(
  tx: Tx,
  batchId: string,
  customerId: string,
  at: Date,
  saleId: string | null = null,
): Promise<{ code: string; validUntil: Date | null; title: string }> {
  const [batch] = await tx.$queryRaw<
    {
      campaignId: string;
      prefix: string;
      maxUses: number;
      validDays: number | null;
      validUntil: Date | null;
      title: string;
    }[]
  >`
    SELECT b."campaignId"::text AS "campaignId", b.prefix, b."maxUses", b."validDays", b."validUntil", c.name AS title
    FROM "CouponBatch" b JOIN "Campaign" c ON c.id = b."campaignId" WHERE b.id = ${batchId}::uuid`;
  if (!batch) throw new Error(`Coupon batch ${batchId} is gone.`);
  const validUntil = batch.validDays != null ? new Date(at.getTime() + batch.validDays * 86_400_000) : batch.validUntil;
  for (let round = 0; round < 5; round++) {
    const code = newCouponCode(batch.prefix);
    const inserted = await tx.$executeRaw`
      INSERT INTO "Coupon" (code, "batchId", "campaignId", "customerId", "maxUses", "validFrom", "validUntil",
        "issuedSaleId")
      VALUES (${code}, ${batchId}::uuid, ${batch.campaignId}::uuid, ${customerId}::uuid,
        ${batch.maxUses}, ${at}, ${validUntil}, ${saleId}::uuid)
      ON CONFLICT (code) DO NOTHING`;
    if (inserted) return { code, validUntil, title: batch.title };
  }
  throw new Error('Could not draw a unique coupon code.');
}

/** Whether a batch can give codes one by one: issued for rewards, of a campaign not ended. */
export async function isRewardBatch(db: Db | Tx, batchId: string): Promise<boolean> {
  const [batch] = await db.$queryRaw<{ ok: boolean }[]>`
    SELECT b."forRewards" AND c.status <> 'ENDED' AS ok
    FROM "CouponBatch" b JOIN "Campaign" c ON c.id = b."campaignId" WHERE b.id = ${batchId}::uuid`;
  return batch?.ok ?? false;
}
