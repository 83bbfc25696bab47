import type { Locale } from './locale.ts';

type Params = Record<string, string | number>;
type Message = { 'zh-CN': string; en: string };

/**
 * Every sentence a person may read from the API, keyed by a stable code.
 * Placeholders are written {name} and filled from the error's params.
 */
export const messages = {
  // input
  INVALID_INPUT: { 'zh-CN': '输入有误：{detail}', en: 'Invalid input: {detail}' },
  INVALID_PHONE: {
    'zh-CN': '手机号格式不正确，应为 11 位中国大陆手机号',
    en: 'Phone number must be an 11-digit mainland China mobile number',
  },
  INVALID_ID: { 'zh-CN': '编号格式不正确：{id}', en: 'Not a valid id: {id}' },
  INVALID_CURSOR: {
    'zh-CN': '分页游标无效（游标只能用于发出它的同一查询）：{cursor}',
    en: 'Not a valid cursor (a cursor only works with the query that gave it out): {cursor}',
  },
  NOT_FOUND: { 'zh-CN': '找不到{entity}：{key}', en: '{entity} not found: {key}' },
  DUPLICATE_PHONE: {
    'zh-CN': '手机号 {phone} 已被其他顾客使用',
    en: 'Phone {phone} already belongs to another customer',
  },
  DUPLICATE_IDENTITY: {
    'zh-CN': '该{channel}账号 {externalId} 已绑定其他顾客',
    en: 'The {channel} account {externalId} already belongs to another customer',
  },
  DUPLICATE_CODE: { 'zh-CN': '{entity}编码 {code} 已存在', en: '{entity} code {code} already exists' },
  ALREADY_MEMBER: { 'zh-CN': '该顾客已是会员（会员号 {code}）', en: 'This customer is already a member ({code})' },
  MERGE_SAME_CUSTOMER: { 'zh-CN': '不能将顾客与自身合并', en: 'A customer cannot be merged into itself' },
  CUSTOMER_MERGED: {
    'zh-CN': '该顾客已合并到其他顾客，请使用合并后的顾客',
    en: 'This customer was merged into another; use the surviving customer',
  },
  // sales
  UNKNOWN_SKU: { 'zh-CN': '未知商品编码：{sku}', en: 'Unknown SKU: {sku}' },
  PRODUCT_INACTIVE: { 'zh-CN': '商品已停售：{sku}', en: 'Product is no longer sold: {sku}' },
  INSUFFICIENT_STOCK: {
    'zh-CN': '{sku} 库存不足：需要 {requested}，可用 {available}',
    en: 'Not enough stock of {sku}: requested {requested}, available {available}',
  },
  PAYMENT_MISMATCH: {
    'zh-CN': '付款合计 {paid} 与应付金额 {total} 不一致',
    en: 'Payments add up to {paid} but the sale total is {total}',
  },
  DISCOUNT_TOO_LARGE: {
    'zh-CN': '第 {line} 行的折扣超过该行金额',
    en: 'The discount on line {line} is larger than the line amount',
  },
  TENDER_NOT_ACCEPTED: {
    'zh-CN': '不支持该付款方式：{method}（未安装处理它的插件）',
    en: 'Payment method {method} is not accepted (no installed plugin handles it)',
  },
  SALE_ALREADY_REFUNDED: { 'zh-CN': '该销售单已全额退款', en: 'This sale has already been refunded in full' },
  REFUND_EXCEEDS_SOLD: {
    'zh-CN': '第 {line} 行最多可退 {available} 件，申请退 {requested} 件',
    en: 'Line {line} can refund at most {available}, requested {requested}',
  },
  // stock
  SAME_STORE_TRANSFER: { 'zh-CN': '调出门店与调入门店不能相同', en: 'A transfer needs two different stores' },
  STOCKTAKE_NOT_OPEN: { 'zh-CN': '盘点单已{status}，不能再修改', en: 'The stocktake is already {status}' },
  // auth
  INVALID_CREDENTIALS: { 'zh-CN': '账号或密码错误', en: 'Wrong sign-in name or password' },
  UNAUTHENTICATED: { 'zh-CN': '请先登录或提供 API 密钥', en: 'Sign in or send an API key first' },
  FORBIDDEN: { 'zh-CN': '当前账号无权执行此操作', en: 'Your account is not allowed to do this' },
  INTERNAL: {
    'zh-CN': '服务器内部错误，请联系管理员（请求编号 {requestId}）',
    en: 'Internal server error; contact your administrator (request id {requestId})',
  },
} satisfies Record<string, Message>;

export type MessageCode = keyof typeof messages;

const pluginMessages: Record<string, Message> = {};

/**
 * Plugins add their own sentences (and so their own error codes) when their factory runs,
 * before the schema is built. A code may be registered once.
 */
export function registerMessages(added: Record<string, Message>) {
  for (const [code, message] of Object.entries(added)) {
    if (code in messages || code in pluginMessages) {
      if (pluginMessages[code]?.en === message.en) continue; // the same plugin loaded twice
      throw new Error(`Message code ${code} is already defined`);
    }
    pluginMessages[code] = message;
  }
}

/** Every error code known now: core's and those of the loaded plugins. */
export function messageCodes(): string[] {
  return [...Object.keys(messages), ...Object.keys(pluginMessages)];
}

/** Entity names used inside messages such as NOT_FOUND. */
export const entityNames: Record<string, Message> = {
  Customer: { 'zh-CN': '顾客', en: 'Customer' },
  Member: { 'zh-CN': '会员', en: 'Member' },
  Store: { 'zh-CN': '门店', en: 'Store' },
  Staff: { 'zh-CN': '员工', en: 'Staff member' },
  Product: { 'zh-CN': '商品', en: 'Product' },
  Sale: { 'zh-CN': '销售单', en: 'Sale' },
  SaleLine: { 'zh-CN': '销售行', en: 'Sale line' },
  Stocktake: { 'zh-CN': '盘点单', en: 'Stocktake' },
  ApiKey: { 'zh-CN': 'API 密钥', en: 'API key' },
  Job: { 'zh-CN': '定时任务', en: 'Scheduled job' },
};

const statusWords: Record<string, Message> = {
  POSTED: { 'zh-CN': '过账', en: 'posted' },
  CANCELLED: { 'zh-CN': '取消', en: 'cancelled' },
};

export function translate(code: MessageCode | (string & {}), params: Params, locale: Locale): string {
  const template = ((messages as Record<string, Message>)[code] ?? pluginMessages[code])?.[locale] ?? code;
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const raw = params[key];
    if (raw === undefined) return `{${key}}`;
    const value = String(raw);
    if (key === 'entity') return entityNames[value]?.[locale] ?? value;
    if (key === 'status') return statusWords[value]?.[locale] ?? value;
    return value;
  });
}
