/**
 * Tenders: the ways a sale is paid. Core settles its own (the till took the money); a plugin
 * declares more with `StorePlugin.tenders` and settles them in its sale steps (the points plugin's
 * POINTS). A payment's method is stored as the tender's code, text checked here rather than by a
 * database enum, so a plugin's tender needs no core migration; GraphQL's enum PaymentMethod is
 * built from core's tenders and the installed plugins' (src/sales/types.ts).
 */
export interface TenderDeclaration {
  /** Upper-case letters, digits and _, from a letter: GIFT_CARD. Stored on the payment. */
  code: string;
  /** What the till shows, zh-CN and en. */
  label: { 'zh-CN': string; en: string };
}

export const CORE_TENDERS = [
  { code: 'CASH', label: { 'zh-CN': '现金', en: 'Cash' } },
  { code: 'CARD', label: { 'zh-CN': '银行卡', en: 'Card' } },
  { code: 'WECHAT_PAY', label: { 'zh-CN': '微信支付', en: 'WeChat Pay' } },
  { code: 'ALIPAY', label: { 'zh-CN': '支付宝', en: 'Alipay' } },
  { code: 'OTHER', label: { 'zh-CN': '其他', en: 'Other' } },
] as const satisfies readonly TenderDeclaration[];

/** A tender core settles itself. */
export type CoreTender = (typeof CORE_TENDERS)[number]['code'];

/** A payment's method: a core tender's code or an installed plugin's. */
export type TenderCode = CoreTender | (string & {});

export const CORE_TENDER_CODES: ReadonlySet<string> = new Set(CORE_TENDERS.map((t) => t.code));

export const TENDER_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;
