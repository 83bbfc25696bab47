import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { actorOfRequest, audit } from '../audit/service.ts';
import { customersCsv } from '../customers/export.ts';
import { isUuid } from '../db/ids.ts';
import { UserError } from '../errors/index.ts';
import type { Db } from '../db/tx.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Locale } from '../i18n/locale.ts';
import { translate } from '../i18n/messages.ts';
import { authorizeFile } from '../imports/workbook.ts';
import type { AppServices } from '../schema/context.ts';
import { segmentPage } from './service.ts';

/**
 * A segment's customers as CSV, in the customer export's columns (so the file re-imports as it
 * is), newest customer first, read in keyset batches: memory stays flat however large it is.
 */
export function exportSegmentCsv(db: Db, where: Prisma.Sql, locale: Locale, mask: boolean): AsyncGenerator<string> {
  let before: string | undefined;
  const nextPage = async (limit: number) => {
    const ids = await segmentPage(db, where, { before, limit });
    before = ids.at(-1);
    return ids;
  };
  return customersCsv(db, nextPage, locale, mask);
}

/**
 * GET /exports/segments/<segment id>.csv (Segment.csvPath; the global id works too): for
 * customer:export, personal fields masked without customer:pii, audited before the first byte.
 */
export async function serveSegmentExport(
  req: IncomingMessage,
  res: ServerResponse,
  services: AppServices,
  raw: string,
) {
  const allowed = await authorizeFile(req, res, services, 'customer:export');
  if (!allowed) return;
  const { auth, locale } = allowed;
  let id = decodeURIComponent(raw);
  if (!isUuid(id)) {
    try {
      const decoded = decodeGlobalID(id);
      id = decoded.typename === 'Segment' ? decoded.id : '';
    } catch {
      id = '';
    }
  }
  const segment = isUuid(id) ? await services.db.segment.findUnique({ where: { id } }) : null;
  if (!segment) {
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({
        errors: [
          {
            message: translate('NOT_FOUND', { entity: 'Segment', key: raw.slice(0, 100) }, locale),
            extensions: { code: 'NOT_FOUND' },
          },
        ],
      }),
    );
    return;
  }
  // A condition whose plugin was removed is refused here, before anything is written or sent.
  let where: Prisma.Sql;
  try {
    where = services.plugins.segments.where(segment);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({
        errors: [
          {
            message: translate(error.code, error.params, locale),
            extensions: { code: 'BAD_USER_INPUT', errorCode: error.code, field: error.field },
          },
        ],
      }),
    );
    return;
  }
  const mask = !auth.can('customer:pii');
  await audit(services.db, actorOfRequest(auth, req), {
    operation: 'export.segment',
    entityType: 'Segment',
    entityId: segment.id,
    details: { format: 'csv', name: segment.name, conditions: segment.conditions, masked: mask },
  });
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="segment-${segment.id}.csv"`,
    'cache-control': 'no-store',
  });
  for await (const chunk of exportSegmentCsv(services.analytics, where, locale, mask)) {
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}
