import type { IncomingMessage, ServerResponse } from 'node:http';
import { UserError } from '../errors/index.ts';
import { translate } from '../i18n/messages.ts';
import { authorizeFile, streamWorkbook, type CellInput } from '../imports/workbook.ts';
import { audit, actorOfRequest } from '../audit/service.ts';
import type { AppServices } from '../schema/context.ts';
import { salesByDay } from './reports.ts';

const WEEKDAYS = {
  'zh-CN': ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
  en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
};

/**
 * GET /exports/sales-by-day.xlsx?store=<code>&from=YYYY-MM-DD&to=YYYY-MM-DD: a store's daily sales
 * (at most 366 days) as a workbook, each day with its weekday and what the retail calendar says of
 * it (festival, statutory holiday, 调休 working day), so a store person reads a holiday's figures
 * for what they are. Needs report:read in that store.
 */
export async function serveSalesByDayWorkbook(req: IncomingMessage, res: ServerResponse, services: AppServices) {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const allowed = await authorizeFile(req, res, services, 'report:read');
  if (!allowed) return;
  const { locale, auth } = allowed;
  const fail = (status: number, code: string, p: Record<string, string | number> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ message: translate(code, p, locale), extensions: { code } }] }));
  };
  const code = (params.get('store') ?? '').trim();
  const store = code
    ? await services.db.store.findFirst({ where: { OR: [{ code: code.toUpperCase() }, { code }, { name: code }] } })
    : null;
  if (!store) return fail(404, 'NOT_FOUND', { entity: 'Store', key: code });
  if (!auth.can('report:read', store.id)) return fail(403, 'FORBIDDEN');
  const date = (v: string | null) =>
    v && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? new Date(`${v}T00:00:00Z`) : null;
  const from = date(params.get('from'));
  const to = date(params.get('to'));
  if (!from || !to) return fail(400, 'INVALID_INPUT', { detail: 'from, to: YYYY-MM-DD' });
  let days: Awaited<ReturnType<typeof salesByDay>>;
  try {
    days = await salesByDay(services.analytics, store.id, from, to);
  } catch (error) {
    if (error instanceof UserError) return fail(400, error.code, error.params as Record<string, string | number>);
    throw error;
  }
  const calendar = await services.calendar.storeCalendar(services.db, store.id);
  const zh = locale === 'zh-CN';
  async function* rows(): AsyncGenerator<CellInput[]> {
    for (const d of days) {
      const day = services.calendar.day(d.date.toISOString().slice(0, 10), calendar);
      const notes = [
        ...day.festivals.map((f) => f.name[locale]),
        ...(day.statutory
          ? [
              day.statutory.work
                ? `${zh ? '调休上班' : 'working day'}（${day.statutory.name}）`
                : `${day.statutory.name}${zh ? '假期' : ' holiday'}`,
            ]
          : []),
        ...(day.memberDay ? [zh ? '会员日' : 'member day'] : []),
      ];
      yield [
        d.date,
        WEEKDAYS[locale][day.weekday - 1],
        notes.join(zh ? '、' : ', '),
        d.saleCount,
        d.grossSales.toNumber(),
        d.refunds.toNumber(),
        d.netSales.toNumber(),
        d.averageOrderValue.toNumber(),
      ];
    }
  }
  services.logger.info({ principal: auth.id, store: store.code }, 'sales export');
  await audit(services.db, actorOfRequest(auth, req), {
    operation: 'export.salesByDay',
    storeId: store.id,
    details: { format: 'xlsx', store: store.code, from: params.get('from'), to: params.get('to') },
  });
  await streamWorkbook(
    res,
    `${zh ? '日销售' : 'sales-by-day'}-${store.code}-${params.get('from')}-${params.get('to')}.xlsx`,
    zh ? '日销售' : 'Sales by day',
    [
      { header: zh ? '日期' : 'Date', type: 'date', width: 12 },
      { header: zh ? '星期' : 'Weekday', type: 'plain', width: 8 },
      { header: zh ? '节日/假期' : 'Festival / holiday', type: 'plain', width: 24 },
      { header: zh ? '单数' : 'Sales', type: 'int' },
      { header: zh ? '销售额' : 'Gross sales', type: 'money', width: 14 },
      { header: zh ? '退款' : 'Refunds', type: 'money' },
      { header: zh ? '净销售额' : 'Net sales', type: 'money', width: 14 },
      { header: zh ? '客单价' : 'Average order', type: 'money' },
    ],
    rows(),
  );
}
