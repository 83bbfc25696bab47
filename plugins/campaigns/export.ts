import { decodeGlobalID } from '@pothos/plugin-relay';
import { actorOfRequest, audit } from '../../src/audit/service.ts';
import type { HttpRoute } from '../../src/contract.ts';
import { codeCell, textCell } from '../../src/csv/cells.ts';
import { isUuid } from '../../src/db/ids.ts';
import type { Locale } from '../../src/i18n/locale.ts';

/**
 * A batch's coupon codes as CSV for printing (GET /plugins/campaigns/coupons.csv?batchId=…):
 * owners only (campaigns:manage), audited before the first byte. Codes are written as ="…" so a
 * spreadsheet keeps them text (src/csv/cells.ts); a BOM makes Excel read the Chinese headers.
 */

const COLUMNS = [
  { 'zh-CN': '券码', en: 'Code' },
  { 'zh-CN': '活动', en: 'Campaign' },
  { 'zh-CN': '可用次数', en: 'Uses allowed' },
  { 'zh-CN': '已用次数', en: 'Uses' },
  { 'zh-CN': '生效时间', en: 'Valid from' },
  { 'zh-CN': '失效时间', en: 'Valid until' },
] as const;

/** At most this many codes in one file: a batch holds at most 10,000 (a reward batch may grow past it). */
const MAX_ROWS = 100_000;

export const couponCsvRoute: HttpRoute = {
  method: 'GET',
  path: '/plugins/campaigns/coupons.csv',
  async handler(req, res, ctx) {
    const auth = await ctx.authorize('campaigns:manage');
    if (!auth) return;
    const raw = ctx.url.searchParams.get('batchId') ?? '';
    let batchId: string | null = null;
    try {
      const id = decodeGlobalID(raw);
      if (id.typename === 'CouponBatch' && isUuid(id.id)) batchId = id.id;
    } catch {
      batchId = null;
    }
    const rows = batchId
      ? await ctx.db.$queryRaw<
          {
            code: string;
            name: string;
            maxUses: number;
            uses: number;
            validFrom: Date | null;
            validUntil: Date | null;
          }[]
        >`
          SELECT k.code, c.name, k."maxUses", k.uses, k."validFrom", k."validUntil"
          FROM "Coupon" k JOIN "Campaign" c ON c.id = k."campaignId"
          WHERE k."batchId" = ${batchId}::uuid ORDER BY k."createdAt", k.code LIMIT ${MAX_ROWS}`
      : [];
    if (!rows.length) {
      const [batch] = batchId
        ? await ctx.db.$queryRaw<{ id: string }[]>`SELECT id::text FROM "CouponBatch" WHERE id = ${batchId}::uuid`
        : [];
      if (!batch) {
        ctx.json(404, { errors: [{ message: 'No such coupon batch', extensions: { code: 'NOT_FOUND' } }] });
        return;
      }
    }
    await audit(ctx.db, actorOfRequest(auth, req), {
      operation: 'campaign.exportCoupons',
      entityType: 'CouponBatch',
      entityId: batchId!,
      details: { format: 'csv', codes: rows.length },
    });
    const locale: Locale = ctx.locale;
    const { stringify } = await import('csv-stringify/sync'); // loaded by the first export, not at start
    const body = stringify(
      rows.map((r) => [
        codeCell(r.code),
        textCell(r.name),
        r.maxUses,
        r.uses,
        r.validFrom?.toISOString() ?? '',
        r.validUntil?.toISOString() ?? '',
      ]),
      { header: true, columns: COLUMNS.map((c) => c[locale]), bom: true },
    );
    res.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="coupons-${batchId}.csv"`,
    });
    res.end(body);
  },
};
