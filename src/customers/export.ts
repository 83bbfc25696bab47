import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolvePrincipal } from '../auth/service.ts';
import { translate } from '../i18n/messages.ts';
import { negotiateLocale, type Locale } from '../i18n/locale.ts';
import type { AppServices } from '../schema/context.ts';
import type { Db } from '../db/tx.ts';
import type { Prisma } from '../generated/prisma/client.ts';

import { codeCell, textCell } from '../csv/cells.ts';
import { CHANNEL, GENDER, YES_NO } from './export-values.ts';
import { findCustomerPage, type CustomerFilter } from './search.ts';
import { openBirthday, openEmail, openPhone } from './personal.ts';
import { audit, actorOfRequest } from '../audit/service.ts';
import { maskEmail, maskPhone } from '../privacy/masking.ts';

const BATCH = 1000;

/**
 * The export's columns in order, with their header in each language. The customer import
 * (import-columns.ts) reads these same headers, so an exported file re-imports as it is.
 */
export const EXPORT_COLUMNS = [
  { key: 'id', 'zh-CN': '顾客编号', en: 'Customer id' },
  { key: 'name', 'zh-CN': '姓名', en: 'Name' },
  { key: 'phone', 'zh-CN': '手机号', en: 'Phone' },
  { key: 'email', 'zh-CN': '邮箱', en: 'E-mail' },
  { key: 'gender', 'zh-CN': '性别', en: 'Gender' },
  { key: 'birthday', 'zh-CN': '生日', en: 'Birthday' },
  { key: 'sourceChannel', 'zh-CN': '来源渠道', en: 'Source channel' },
  { key: 'tags', 'zh-CN': '标签', en: 'Tags' },
  { key: 'memberCode', 'zh-CN': '会员号', en: 'Member code' },
  { key: 'firstPurchaseAt', 'zh-CN': '首次消费', en: 'First purchase' },
  { key: 'lastPurchaseAt', 'zh-CN': '最近消费', en: 'Last purchase' },
  { key: 'visitCount', 'zh-CN': '消费次数', en: 'Visits' },
  { key: 'lifetimeSpend', 'zh-CN': '累计消费', en: 'Lifetime spend' },
  { key: 'consentSms', 'zh-CN': '短信营销授权', en: 'SMS consent' },
  { key: 'consentWechat', 'zh-CN': '微信营销授权', en: 'WeChat consent' },
  { key: 'createdAt', 'zh-CN': '建档时间', en: 'Created at' },
] as const;

export const HEADERS: Record<Locale, string[]> = {
  'zh-CN': EXPORT_COLUMNS.map((c) => c['zh-CN']),
  en: EXPORT_COLUMNS.map((c) => c.en),
};

/**
 * Streams the customer base (optionally filtered like the search), newest first, as CSV,
 * reading in keyset batches so memory stays flat however many customers there are. A UTF-8
 * BOM makes Excel open the Chinese text correctly.
 */
export function exportCustomersCsv(
  db: Db,
  filter: CustomerFilter,
  locale: Locale,
  /** Personal fields masked, as GraphQL shows them to a caller without customer:pii. */
  mask = false,
): AsyncGenerator<string> {
  let cursor: string | undefined;
  const nextPage = async (limit: number) => {
    // Newest first, whatever the filter: an order no sale can change while the file streams.
    const page = await findCustomerPage(db, filter, { order: 'newest', cursor, limit });
    cursor = page.at(-1)?.cursor;
    return page.map((p) => p.id);
  };
  return customersCsv(db, nextPage, locale, mask);
}

/**
 * Customers as CSV in the export's columns, in the order `nextPage` gives their ids, a batch at a
 * time (a batch shorter than asked for is the last): the customer export's and a segment's.
 */
export async function* customersCsv(
  db: Db,
  nextPage: (limit: number) => Promise<string[]>,
  locale: Locale,
  mask: boolean,
): AsyncGenerator<string> {
  const { stringify } = await import('csv-stringify'); // loaded by the first export, not at start
  const csv = stringify({ header: true, columns: HEADERS[locale], bom: true });
  const chunks: string[] = [];
  csv.on('data', (c: Buffer | string) => chunks.push(c.toString()));
  const flush = function* () {
    while (chunks.length) yield chunks.shift()!;
  };
  for (;;) {
    const ids = await nextPage(BATCH);
    const loaded = await db.customer.findMany({ where: { id: { in: ids } }, include: CSV_ROW_INCLUDE });
    const byId = new Map(loaded.map((c) => [c.id, c]));
    for (const id of ids) {
      const customer = byId.get(id);
      if (customer) csv.write(customerCsvRow(customer, locale, mask));
    }
    await new Promise((r) => setImmediate(r));
    yield* flush();
    if (ids.length < BATCH) break;
  }
  csv.end();
  await new Promise((r) => csv.once('end', r));
  yield* flush();
}

type ExportedCustomer = Prisma.CustomerGetPayload<{ include: { member: { select: { code: true } }; consents: true } }>;
/** What customerCsvRow needs loaded with each customer. */
export const CSV_ROW_INCLUDE = { member: { select: { code: true } }, consents: true } as const;

/**
 * One customer as a row of EXPORT_COLUMNS: what a store person reads (localised values the
 * import maps back), codes kept as text in Excel, and nothing a spreadsheet would run as a
 * formula (src/csv/cells.ts). Also the rows of a segment's export (src/segments/export.ts).
 */
export function customerCsvRow(c: ExportedCustomer, locale: Locale, mask: boolean): (string | number)[] {
  const date = (d: Date | null) => (d ? d.toISOString() : '');
  const consent = (channel: string) => {
    const found = c.consents.find((x) => x.channel === channel);
    return found ? YES_NO[locale][found.granted ? 0 : 1] : '';
  };
  return [
    c.id,
    textCell(c.name),
    codeCell(mask ? maskPhone(openPhone(c.phoneEnc)) : openPhone(c.phoneEnc)),
    textCell(mask ? maskEmail(openEmail(c.emailEnc)) : openEmail(c.emailEnc)),
    GENDER[locale][c.gender] ?? '',
    mask ? '' : (openBirthday(c.birthdayEnc)?.toISOString().slice(0, 10) ?? ''),
    CHANNEL[locale][c.sourceChannel] ?? c.sourceChannel,
    textCell(c.tags.join('|')),
    codeCell(c.member?.code),
    date(c.firstPurchaseAt),
    date(c.lastPurchaseAt),
    c.visitCount,
    c.lifetimeSpend.toFixed(2),
    consent('SMS'),
    consent('WECHAT'),
    date(c.createdAt),
  ];
}

/** Query-string filters accepted by GET /exports/customers.csv (the same as the search's). */
export function exportFilterFromQuery(params: URLSearchParams): CustomerFilter {
  const date = (v: string | null) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
  const isMember = params.get('isMember');
  return {
    query: params.get('query'),
    tag: params.get('tag'),
    phoneLast4: params.get('phoneLast4'),
    channel: (params.get('channel') as CustomerFilter['channel']) ?? undefined,
    isMember: isMember === null ? undefined : isMember === 'true',
    lastPurchaseFrom: date(params.get('lastPurchaseFrom')),
    lastPurchaseTo: date(params.get('lastPurchaseTo')),
  };
}

/**
 * GET /exports/customers.csv: the customer base as a streamed CSV file, for owners and managers
 * (customer:export). A file of personal data, so every export is logged with who took it.
 */
export async function serveCustomerExport(req: IncomingMessage, res: ServerResponse, services: AppServices) {
  const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
  const locale = negotiateLocale(header('accept-language'));
  const auth = await resolvePrincipal(
    services.db,
    services.tokens,
    { authorization: header('authorization'), apiKey: header('x-api-key') },
    services.events.cache,
    services.permissions,
  );
  if (!auth.can('customer:export')) {
    const code = auth.identified ? 'FORBIDDEN' : 'UNAUTHENTICATED';
    res.writeHead(auth.identified ? 403 : 401, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ message: translate(code, {}, locale), extensions: { code } }] }));
    return;
  }
  const filter = exportFilterFromQuery(new URL(req.url ?? '/', 'http://localhost').searchParams);
  const mask = !auth.can('customer:pii');
  services.logger.info({ principal: auth.id, kind: auth.kind, filter }, 'customer export');
  // Recorded before the first byte: an export that cannot be audited is not served.
  await audit(services.db, actorOfRequest(auth, req), {
    operation: 'export.customers',
    details: { format: 'csv', filter, masked: mask },
  });
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="customers-${new Date().toISOString().slice(0, 10)}.csv"`,
  });
  for await (const chunk of exportCustomersCsv(services.analytics, filter, locale, mask)) {
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}
