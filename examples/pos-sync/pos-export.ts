// The existing POS's side: its end-of-day export, read as the POS writes it, and mapped to what
// `recordSale` takes. This is the part an integrator rewrites for another POS; sync.ts (sending,
// retries, the report) stays as it is.
//
// The export: one row per line item, the receipt's fields repeated on each of its rows, local
// times of the store without a zone, money as yuan with two decimals, UTF-8 (with or without BOM)
// or GBK, as Chinese POS software and Excel write it:
//
//   小票号,门店,时间,收银员,会员卡号,商品条码,商品名称,数量,单价,支付方式
//   SLT01-20261201-0002,三里屯店,2026-12-01 08:17:45,王小红,880010000037,6920000126704,伊利纯牛奶…,1,69.90,微信支付
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import type { PaymentMethod, RecordSaleMutationVariables } from '../generated/operations.ts';

/** The POS's store names → the CRM's store codes (`stores { code name }`). */
export const STORE_CODES: Record<string, string> = {
  三里屯店: 'BJ-SLT',
  五道口店: 'BJ-WDK',
  南山店: 'SZ-NS',
};

/** The POS's tender names → the CRM's payment methods (`tenders` lists them). */
const METHODS: Record<string, PaymentMethod> = {
  现金: 'CASH',
  微信: 'WECHAT_PAY',
  微信支付: 'WECHAT_PAY',
  支付宝: 'ALIPAY',
  银行卡: 'CARD',
  刷卡: 'CARD',
};

const COLUMNS = ['小票号', '门店', '时间', '会员卡号', '商品条码', '数量', '单价', '支付方式'] as const;
type Row = Record<(typeof COLUMNS)[number], string>;

/** One receipt of the export, still in the POS's terms (local time, store name). */
export interface Receipt {
  receiptNo: string;
  store: string;
  /** "2026-12-01 08:17:45", the store's wall-clock time. */
  localTime: string;
  memberCode: string | null;
  lines: { barcode: string; quantity: number; unitPriceFen: number }[];
  method: PaymentMethod;
  /** What the customer paid, in fen (Σ quantity × unit price). */
  paidFen: number;
}

/** Decodes the file: UTF-8 if it is valid UTF-8, else GBK (GB18030), which older POS exports use. */
export function decodeExport(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return iconv.decode(Buffer.from(bytes), 'gb18030');
  }
}

/** "69.90" → 6990, exactly (no floating point on money). */
function fen(yuan: string, where: string): number {
  const match = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(yuan.trim());
  if (!match) throw new Error(`${where}: 单价 "${yuan}" is not an amount in yuan`);
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export function yuan(fenAmount: number): string {
  return `${Math.trunc(fenAmount / 100)}.${String(fenAmount % 100).padStart(2, '0')}`;
}

/** Reads the export into receipts, in the order of the file; a malformed row stops it (nothing sent). */
export function readExport(text: string): Receipt[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Row[];
  const receipts = new Map<string, Receipt>();
  rows.forEach((row, i) => {
    const where = `row ${i + 2}`;
    for (const column of COLUMNS) {
      if (row[column] === undefined) throw new Error(`the export has no column ${column}`);
    }
    const method = METHODS[row.支付方式];
    if (!method) throw new Error(`${where}: unknown 支付方式 "${row.支付方式}"`);
    const quantity = Number(row.数量);
    if (!Number.isInteger(quantity) || quantity < 1) throw new Error(`${where}: 数量 "${row.数量}"`);
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(row.时间)) throw new Error(`${where}: 时间 "${row.时间}"`);
    const line = { barcode: row.商品条码, quantity, unitPriceFen: fen(row.单价, where) };
    const receipt = receipts.get(row.小票号);
    if (!receipt) {
      receipts.set(row.小票号, {
        receiptNo: row.小票号,
        store: row.门店,
        localTime: row.时间,
        memberCode: row.会员卡号 || null,
        lines: [line],
        method,
        paidFen: line.quantity * line.unitPriceFen,
      });
    } else {
      if (receipt.store !== row.门店 || receipt.method !== method || receipt.localTime !== row.时间) {
        throw new Error(`${where}: receipt ${row.小票号} changes store, time or tender between its rows`);
      }
      receipt.lines.push(line);
      receipt.paidFen += line.quantity * line.unitPriceFen;
    }
  });
  return [...receipts.values()];
}

/**
 * The instant a wall-clock time of a time zone names: "2026-12-01 07:03:12" in Asia/Shanghai is
 * 2026-11-30T23:03:12Z. The POS writes local times; the API takes instants, and books each sale
 * on its store's business day in the store's own zone.
 */
export function zonedInstant(localTime: string, timeZone: string): Date {
  const [date, time] = localTime.split(' ') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, s = 0] = time.split(':').map(Number) as [number, number, number?];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const offsetAt = (instant: number) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(instant));
    const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - instant;
  };
  // Twice, for the hours next to a daylight-saving change (China has none, other zones do).
  const first = asUtc - offsetAt(asUtc);
  return new Date(asUtc - offsetAt(first));
}

/** A receipt as `recordSale` takes it: the receipt number is the sale's externalId. */
export function toSaleInput(
  receipt: Receipt,
  store: { id: string; timezone: string },
): RecordSaleMutationVariables['input'] {
  return {
    storeId: store.id,
    externalId: receipt.receiptNo,
    occurredAt: zonedInstant(receipt.localTime, store.timezone).toISOString(),
    memberCode: receipt.memberCode,
    // The POS's own prices: what the customer was charged is what the CRM books. The till priced
    // these sales already, so the CRM gives no member discount of its own on top (pricedBy: TILL).
    lines: receipt.lines.map((l) => ({ sku: l.barcode, quantity: l.quantity, unitPrice: yuan(l.unitPriceFen) })),
    pricedBy: 'TILL',
    payments: [{ method: receipt.method, amount: yuan(receipt.paidFen) }],
  };
}
