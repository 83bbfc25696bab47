import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Locale } from '../i18n/locale.ts';
import { authorizeFile, streamWorkbook, type CellInput, type SheetColumn } from '../imports/workbook.ts';
import type { AppServices } from '../schema/context.ts';
import { CHANNEL, GENDER, YES_NO } from './export-values.ts';
import type { Db } from '../db/tx.ts';
import { EXPORT_COLUMNS, exportFilterFromQuery } from './export.ts';
import { findCustomerPage, type CustomerFilter } from './search.ts';
import { openBirthday, openEmail, openPhone } from './personal.ts';
import { audit, actorOfRequest } from '../audit/service.ts';
import { maskEmail, maskPhone } from '../privacy/masking.ts';
import { DEFAULT_TIME_ZONE, wallClock } from '../stores/time.ts';

const BATCH = 1000;
const TYPES: Record<(typeof EXPORT_COLUMNS)[number]['key'], SheetColumn['type']> = {
  id: 'text',
  name: 'plain',
  phone: 'text',
  email: 'plain',
  gender: 'plain',
  birthday: 'date',
  sourceChannel: 'plain',
  tags: 'plain',
  memberCode: 'text',
  firstPurchaseAt: 'datetime',
  lastPurchaseAt: 'datetime',
  visitCount: 'int',
  lifetimeSpend: 'money',
  consentSms: 'plain',
  consentWechat: 'plain',
  createdAt: 'datetime',
};

/** The customer base as worksheet rows, in the CSV export's columns; times in `timeZone`. */
async function* customerRows(
  db: Db,
  filter: CustomerFilter,
  locale: Locale,
  timeZone: string,
  mask: boolean,
): AsyncGenerator<CellInput[]> {
  let cursor: string | undefined;
  for (;;) {
    const page = await findCustomerPage(db, filter, { order: 'newest', cursor, limit: BATCH });
    const loaded = await db.customer.findMany({
      where: { id: { in: page.map((p) => p.id) } },
      include: { member: { select: { code: true } }, consents: true },
    });
    const byId = new Map(loaded.map((c) => [c.id, c]));
    for (const p of page) {
      const c = byId.get(p.id);
      if (!c) continue;
      const consent = (channel: string) => {
        const found = c.consents.find((x) => x.channel === channel);
        return found ? YES_NO[locale][found.granted ? 0 : 1] : '';
      };
      yield [
        c.id,
        c.name,
        (mask ? maskPhone(openPhone(c.phoneEnc)) : openPhone(c.phoneEnc)) ?? '',
        (mask ? maskEmail(openEmail(c.emailEnc)) : openEmail(c.emailEnc)) ?? '',
        GENDER[locale][c.gender] ?? '',
        mask ? null : openBirthday(c.birthdayEnc),
        CHANNEL[locale][c.sourceChannel] ?? c.sourceChannel,
        c.tags.join('|'),
        c.member?.code ?? '',
        wallClock(c.firstPurchaseAt, timeZone),
        wallClock(c.lastPurchaseAt, timeZone),
        c.visitCount,
        c.lifetimeSpend.toNumber(),
        consent('SMS'),
        consent('WECHAT'),
        wallClock(c.createdAt, timeZone),
      ];
    }
    if (page.length < BATCH) break;
    cursor = page.at(-1)!.cursor;
  }
}

/**
 * GET /exports/customers.xlsx: the customer base as an Excel workbook (same filters and columns as
 * the CSV export), phones and member codes as text, times in the first store's zone. The file
 * re-imports as it is (POST /imports/customers).
 */
export async function serveCustomerWorkbook(req: IncomingMessage, res: ServerResponse, services: AppServices) {
  const allowed = await authorizeFile(req, res, services, 'customer:export');
  if (!allowed) return;
  const filter = exportFilterFromQuery(new URL(req.url ?? '/', 'http://localhost').searchParams);
  services.logger.info(
    { principal: allowed.auth.id, kind: allowed.auth.kind, filter, format: 'xlsx' },
    'customer export',
  );
  const mask = !allowed.auth.can('customer:pii');
  await audit(services.db, actorOfRequest(allowed.auth, req), {
    operation: 'export.customers',
    details: { format: 'xlsx', filter, masked: mask },
  });
  const first = await services.db.store.findFirst({ orderBy: { createdAt: 'asc' }, select: { timezone: true } });
  const zone = first?.timezone ?? DEFAULT_TIME_ZONE;
  const { locale } = allowed;
  await streamWorkbook(
    res,
    `${locale === 'zh-CN' ? '顾客' : 'customers'}-${new Date().toISOString().slice(0, 10)}.xlsx`,
    locale === 'zh-CN' ? '顾客' : 'Customers',
    EXPORT_COLUMNS.map((c) => ({ header: c[locale], type: TYPES[c.key] })),
    customerRows(services.analytics, filter, locale, zone, mask),
  );
}
