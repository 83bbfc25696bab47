import { Prisma } from '../generated/prisma/client.ts';

/**
 * The pricing model: a sale's price reductions as a list of adjustments, each with its source,
 * instead of one discount per line that every step adds to. Core owns the arithmetic: order-level
 * amounts are prorated over the lines here, so every plugin gets the same rounding and the parts
 * always add up to the whole. Pure functions (tests/unit/pricing.test.ts).
 */

const ZERO = new Prisma.Decimal(0);
const FEN = new Prisma.Decimal('0.01');

/** Where an adjustment came from: a plugin (or "pos", the till's own line discount) and its record. */
export interface AdjustmentSource {
  /** The plugin's name, or "pos" for a discount the till sent on a line. */
  source: string;
  /** The plugin's record that gave it (a tier's id, a rule's id, a campaign's id), if any. */
  sourceId?: string | null;
}

/** What a person reads at the till and on the receipt, in both languages. */
export interface AdjustmentLabel {
  'zh-CN': string;
  en: string;
}

/** A line's part of an adjustment. */
export interface AdjustmentShare {
  lineNo: number;
  amount: Prisma.Decimal;
}

export type AdjustmentScope = 'ORDER' | 'LINE';

/** One price reduction as applied: its total and how it falls on the lines (shares add up to `amount`). */
export interface Adjustment extends AdjustmentSource {
  /** 1, 2, … in the order the adjustments were made. */
  position: number;
  label: AdjustmentLabel;
  scope: AdjustmentScope;
  amount: Prisma.Decimal;
  shares: AdjustmentShare[];
}

/**
 * What a step asks for. Either `amount` off the order, which core prorates over `lineNos` (every
 * line when omitted) in proportion to what each still charges, or `lines`: an amount per line.
 */
export type AdjustmentRequest = AdjustmentSource & { label: AdjustmentLabel } & (
    | { amount: Prisma.Decimal; lineNos?: number[]; lines?: never }
    | { lines: AdjustmentShare[]; amount?: never; lineNos?: never }
  );

/** The part of a line the pricing model works on. `discount` is kept equal to the line's shares. */
export interface PricedLine {
  lineNo: number;
  quantity: number;
  unitPrice: Prisma.Decimal;
  discount: Prisma.Decimal;
}

/** What a line still charges: quantity × unit price, less the adjustments so far. */
export function lineDue(line: PricedLine): Prisma.Decimal {
  return line.unitPrice.mul(line.quantity).sub(line.discount);
}

const toFen = (d: Prisma.Decimal) => d.toDecimalPlaces(2, Prisma.Decimal.ROUND_HALF_UP);

/**
 * Splits `amount` (in fen) over lines in proportion to their weights: each line gets its share
 * rounded down to the fen, then the fen left over go one each to the lines with the largest
 * remainders (ties: the lower line number). The shares add up to `amount` exactly, and no share
 * exceeds its weight when `amount` does not exceed the weights' sum.
 */
export function prorate(amount: Prisma.Decimal, weights: { lineNo: number; weight: Prisma.Decimal }[]) {
  const total = weights.reduce((s, w) => s.add(w.weight), ZERO);
  if (total.lte(0) || amount.lte(0)) return weights.map((w) => ({ lineNo: w.lineNo, amount: ZERO }));
  const fen = amount.div(FEN).toNumber();
  const exact = weights.map((w) => ({ lineNo: w.lineNo, fen: w.weight.mul(fen).div(total) }));
  const shares = exact.map((e) => ({
    lineNo: e.lineNo,
    fen: e.fen.floor().toNumber(),
    rest: e.fen.sub(e.fen.floor()),
  }));
  let left = fen - shares.reduce((s, x) => s + x.fen, 0);
  const byRemainder = [...shares].sort((a, b) => b.rest.comparedTo(a.rest) || a.lineNo - b.lineNo);
  for (const share of byRemainder) {
    if (left <= 0) break;
    share.fen += 1;
    left -= 1;
  }
  return shares.map((s) => ({ lineNo: s.lineNo, amount: new Prisma.Decimal(s.fen).mul(FEN) }));
}

/**
 * Applies one adjustment to the lines and returns it as recorded, or null when it comes to
 * nothing. Amounts are rounded to the fen (half up) and capped at what is still due, so an
 * adjustment never takes a line below zero; the recorded amount is what was given.
 * Throws (a plugin's mistake, not the caller's) on an unknown line or a negative amount.
 */
export function applyAdjustment(lines: PricedLine[], request: AdjustmentRequest, position: number): Adjustment | null {
  const byNo = new Map(lines.map((l) => [l.lineNo, l]));
  const lineOf = (lineNo: number) => {
    const line = byNo.get(lineNo);
    if (!line)
      throw new Error(`Adjustment from "${request.source}" names line ${lineNo}, which the sale does not have.`);
    return line;
  };
  let shares: AdjustmentShare[];
  let scope: AdjustmentScope;
  if (request.lines) {
    scope = 'LINE';
    const merged = new Map<number, Prisma.Decimal>();
    for (const s of request.lines) {
      if (s.amount.lt(0)) throw new Error(`Adjustment from "${request.source}" has a negative amount.`);
      merged.set(s.lineNo, (merged.get(s.lineNo) ?? ZERO).add(toFen(s.amount)));
    }
    shares = [...merged].map(([lineNo, amount]) => {
      const due = lineDue(lineOf(lineNo));
      return { lineNo, amount: amount.gt(due) ? due : amount };
    });
  } else {
    scope = 'ORDER';
    if (request.amount.lt(0)) throw new Error(`Adjustment from "${request.source}" has a negative amount.`);
    const over = request.lineNos ? [...new Set(request.lineNos)].map(lineOf) : lines;
    const weights = over.map((l) => ({ lineNo: l.lineNo, weight: lineDue(l) }));
    const due = weights.reduce((s, w) => s.add(w.weight), ZERO);
    const amount = toFen(request.amount);
    shares = prorate(amount.gt(due) ? due : amount, weights);
  }
  shares = shares.filter((s) => s.amount.gt(0)).sort((a, b) => a.lineNo - b.lineNo);
  if (!shares.length) return null;
  for (const s of shares) {
    const line = lineOf(s.lineNo);
    line.discount = line.discount.add(s.amount);
  }
  return {
    position,
    source: request.source,
    sourceId: request.sourceId ?? null,
    label: request.label,
    scope,
    amount: shares.reduce((sum, s) => sum.add(s.amount), ZERO),
    shares,
  };
}

/** Each line's discount as the sum of its shares: what core checks no step changed by hand. */
export function discountsByLine(adjustments: Adjustment[]): Map<number, Prisma.Decimal> {
  const sums = new Map<number, Prisma.Decimal>();
  for (const a of adjustments) for (const s of a.shares) sums.set(s.lineNo, (sums.get(s.lineNo) ?? ZERO).add(s.amount));
  return sums;
}

/**
 * The part of each adjustment that falls on refunded units: a line's share in proportion to the
 * units refunded, to the fen (half up). For refund steps to see what the refunded units had been
 * given (a campaign whose threshold a refund undoes); the money returned is the line's own
 * paid total, computed by the refund.
 */
export function refundedShares(
  adjustments: {
    position: number;
    source: string;
    sourceId: string | null;
    lineNos: number[];
    shares: Prisma.Decimal[];
  }[],
  refunded: { lineNo: number; quantity: number; soldQuantity: number }[],
) {
  return adjustments
    .map((a) => {
      let amount = ZERO;
      for (const r of refunded) {
        const i = a.lineNos.indexOf(r.lineNo);
        if (i >= 0) amount = amount.add(toFen(a.shares[i]!.mul(r.quantity).div(r.soldQuantity)));
      }
      return { position: a.position, source: a.source, sourceId: a.sourceId, amount };
    })
    .filter((a) => a.amount.gt(0));
}

/** An adjustment as stored (SaleAdjustment) and as GraphQL shows it, stored or previewed. */
export interface AdjustmentRecord {
  position: number;
  source: string;
  sourceId: string | null;
  labelZh: string;
  labelEn: string;
  scope: AdjustmentScope;
  amount: Prisma.Decimal;
  lineNos: number[];
  shares: Prisma.Decimal[];
}

export function asRecord(a: Adjustment): AdjustmentRecord {
  return {
    position: a.position,
    source: a.source,
    sourceId: a.sourceId ?? null,
    labelZh: a.label['zh-CN'],
    labelEn: a.label.en,
    scope: a.scope,
    amount: a.amount,
    lineNos: a.shares.map((s) => s.lineNo),
    shares: a.shares.map((s) => s.amount),
  };
}

/** A line's part of each adjustment that touches it, in the order they were made (amount: the line's share). */
export function sharesOfLine(records: AdjustmentRecord[], lineNo: number): AdjustmentRecord[] {
  return records.flatMap((a) => {
    const i = a.lineNos.indexOf(lineNo);
    return i < 0 ? [] : [{ ...a, amount: a.shares[i]! }];
  });
}
