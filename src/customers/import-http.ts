import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePrincipal } from '../auth/service.ts';
import { uuidv7 } from '../db/ids.ts';
import { negotiateLocale, type Locale } from '../i18n/locale.ts';
import { translate, type MessageCode } from '../i18n/messages.ts';
import type { AppServices } from '../schema/context.ts';
import { isUniqueViolation } from '../db/errors.ts';
import {
  importCustomers,
  ImportNotWritten,
  ImportRaceError,
  recordImport,
  type ImportOptions,
  type ImportProblem,
  type ImportReport,
} from './import.ts';
import { encodingOfCharset, readCsvRecords, spoolUpload, UploadTooLarge, type ImportEncoding } from './import-file.ts';

export const DEFAULT_IMPORT_MAX_BYTES = 50 * 1024 * 1024;
export interface ImportHttpOptions {
  maxBytes: number;
}

/** The name the caller gave the file: ?fileName=, X-File-Name (URI-encoded) or Content-Disposition. */
function fileNameOf(req: IncomingMessage, params: URLSearchParams): string | null {
  const decode = (v: string) => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
  const disposition = header('content-disposition');
  const name =
    params.get('fileName') ??
    (header('x-file-name') ? decode(header('x-file-name')!) : null) ??
    (disposition?.match(/filename\*\s*=\s*UTF-8''([^;]+)/i)?.[1]
      ? decode(disposition.match(/filename\*\s*=\s*UTF-8''([^;]+)/i)![1]!)
      : null) ??
    disposition?.match(/filename\s*=\s*"?([^";]+)"?/i)?.[1] ??
    null;
  const clean = name?.replace(/\p{Cc}/gu, '').trim();
  return clean ? clean.slice(0, 255) : null;
}

const ANALYZE_AFTER_ROWS = 1000;

/** The import in one transaction; once it has committed, one event announces it. */
async function runImport(services: AppServices, spool: string, options: ImportOptions): Promise<ImportReport> {
  let report: ImportReport | undefined;
  await services.sql.transaction(async (session) => {
    report = await importCustomers(session, readCsvRecords(spool, options.encoding as ImportEncoding), options);
  });
  const { importId, created, updated, unchanged } = report!;
  // Thousands of new rows change what the planner should do with customer search (the embedded
  // database never analyzes by itself, and PostgreSQL's autovacuum would only get to it later).
  if (!report!.dryRun && created + updated >= ANALYZE_AFTER_ROWS) await services.sql.exec('ANALYZE "Customer"');
  await services.events.publish([{ type: 'customer.imported', payload: { importId, created, updated, unchanged } }]);
  return report!;
}

/** The report as the caller reads it: each problem with a message in their language. */
function reportJson(report: ImportReport, encoding: ImportEncoding, locale: Locale) {
  const problem = (p: ImportProblem) => ({
    row: p.row,
    column: p.column,
    code: p.code,
    message: translate(p.code, p.params, locale),
  });
  return {
    importId: report.importId,
    dryRun: report.dryRun,
    created: report.created,
    updated: report.updated,
    unchanged: report.unchanged,
    rowCount: report.rowCount,
    errors: report.errors.map(problem),
    errorCount: report.errorCount,
    warnings: report.warnings.map(problem),
    encoding,
  };
}

/**
 * POST /imports/customers.csv: a CSV file of customers as the request body, for owners and
 * managers (customer:import). Checked whole and written in one transaction (import.ts); 200
 * with the report when written (or, for ?dryRun=true, when it would be), 422 with the report
 * when rows are invalid. Personal data moved in, so every import is recorded and logged.
 */
export async function serveCustomerImport(
  req: IncomingMessage,
  res: ServerResponse,
  services: AppServices,
  options: ImportHttpOptions,
) {
  const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
  const locale = negotiateLocale(header('accept-language'));
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  // Refused before the body was read: answer at once, then let the rest of the upload drain (up
  // to a bound) so the client reads the answer instead of a reset connection.
  const refuse = (status: number, code: MessageCode, params: Record<string, string | number> = {}) => {
    if (!req.complete) {
      res.setHeader('connection', 'close');
      let drained = 0;
      req.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > options.maxBytes) req.destroy();
      });
      req.resume();
    }
    send(status, { errors: [{ message: translate(code, params, locale), extensions: { code } }] });
  };

  const auth = await resolvePrincipal(
    services.db,
    services.tokens,
    { authorization: header('authorization'), apiKey: header('x-api-key') },
    services.events.cache,
  );
  if (!auth.can('customer:import')) {
    refuse(auth.signedIn ? 403 : 401, auth.signedIn ? 'FORBIDDEN' : 'UNAUTHENTICATED');
    return;
  }
  const contentType = header('content-type');
  if (contentType && /^multipart\//i.test(contentType)) {
    refuse(415, 'IMPORT_UNSUPPORTED_MEDIA');
    return;
  }
  const declared = encodingOfCharset(contentType);
  if (declared === null) {
    refuse(415, 'IMPORT_UNKNOWN_ENCODING', { charset: contentType!.match(/charset\s*=\s*"?([^";\s]+)/i)?.[1] ?? '' });
    return;
  }
  const limitMb = Math.round((options.maxBytes / 1024 / 1024) * 10) / 10;
  if (Number(header('content-length') ?? 0) > options.maxBytes) {
    refuse(413, 'IMPORT_TOO_LARGE', { limit: limitMb });
    return;
  }

  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const importId = uuidv7();
  const startedAt = new Date();
  const spool = join(tmpdir(), `storecrm-import-${importId}.csv`);
  try {
    let upload: Awaited<ReturnType<typeof spoolUpload>>;
    try {
      upload = await spoolUpload(req, spool, options.maxBytes);
    } catch (error) {
      if (error instanceof UploadTooLarge) {
        refuse(413, 'IMPORT_TOO_LARGE', { limit: limitMb });
        return;
      }
      throw error;
    }
    // A byte-order mark settles it; then valid UTF-8 is UTF-8 (whatever a client's default header
    // claimed); anything else is what the caller declared, or GB18030, Excel's CSV in China.
    const encoding: ImportEncoding =
      upload.bom ?? (upload.validUtf8 ? 'UTF-8' : declared && declared !== 'UTF-8' ? declared : 'GB18030');
    const importOptions: ImportOptions = {
      importId,
      startedAt,
      dryRun: ['true', '1', 'yes'].includes((params.get('dryRun') ?? '').toLowerCase()),
      fileName: fileNameOf(req, params),
      encoding,
      actor: { staffId: auth.staffId, apiKeyId: auth.kind === 'apiKey' ? auth.id : null, name: auth.name },
    };

    let report: ImportReport;
    try {
      report = await runImport(services, spool, importOptions);
    } catch (error) {
      if (error instanceof ImportNotWritten) {
        report = error.report;
        await recordImport(services.sql, importOptions, report);
      } else if (error instanceof ImportRaceError || isUniqueViolation(error)) {
        services.logger.warn({ err: error, importId }, 'customer import collided with a concurrent change');
        refuse(409, 'IMPORT_CONFLICT');
        return;
      } else throw error;
    }
    services.logger.info(
      {
        principal: auth.id,
        kind: auth.kind,
        importId,
        fileName: importOptions.fileName,
        dryRun: importOptions.dryRun,
        outcome: report.outcome,
        bytes: upload.bytes,
        encoding,
        rows: report.rowCount,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        errors: report.errorCount,
        ms: Date.now() - startedAt.getTime(),
      },
      'customer import',
    );
    send(report.outcome === 'REJECTED' ? 422 : 200, reportJson(report, encoding, locale));
  } finally {
    await rm(spool, { force: true });
  }
}
