import { actorOfRequest } from '../audit/service.ts';
import { rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePrincipal } from '../auth/service.ts';
import { uuidv7 } from '../db/ids.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { negotiateLocale, type Locale } from '../i18n/locale.ts';
import { translate, type MessageCode } from '../i18n/messages.ts';
import type { AppServices } from '../schema/context.ts';
import { encodingOfCharset, readRecords, spoolUpload, UploadTooLarge, type ImportEncoding } from './file.ts';
import type { AnyImportKind, ImportContext, ImportOptions, ImportProblem, ImportReport } from './kind.ts';
import { ImportNotWritten, ImportRaceError, recordImport, runImport } from './run.ts';

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

/** The import in one transaction; once it has committed, the kind announces it. */
async function importInTransaction(
  services: AppServices,
  kind: AnyImportKind,
  spool: string,
  options: ImportOptions,
  context: ImportContext,
): Promise<ImportReport> {
  let report: ImportReport | undefined;
  await services.sql.transaction(async (session) => {
    const records = readRecords(spool, options.format, options.encoding as ImportEncoding);
    report = await runImport(session, kind, records, options, context);
  });
  await kind.afterCommit?.(services, report!);
  return report!;
}

/** The report as the caller reads it: each problem with a message in their language. */
function reportJson(report: ImportReport, options: ImportOptions, locale: Locale) {
  const problem = (p: ImportProblem) => ({
    row: p.row,
    column: p.column,
    code: p.code,
    message: translate(p.code, p.params, locale),
  });
  return {
    kind: report.kind,
    importId: report.importId,
    dryRun: report.dryRun,
    created: report.created,
    updated: report.updated,
    unchanged: report.unchanged,
    rowCount: report.rowCount,
    errors: report.errors.map(problem),
    errorCount: report.errorCount,
    warnings: report.warnings.map(problem),
    format: options.format,
    ...(options.format === 'CSV' ? { encoding: options.encoding } : {}),
  };
}

/**
 * POST /imports/<kind>: a CSV or .xlsx file as the request body (POST /imports/customers.csv is
 * the same for customers), for those with the kind's permission. Checked whole and written in one
 * transaction (run.ts); 200 with the report when written (or, for ?dryRun=true, when it would be),
 * 422 with the report when rows are invalid. Every import is recorded and logged with who sent it.
 */
export async function serveImport(
  req: IncomingMessage,
  res: ServerResponse,
  services: AppServices,
  kind: AnyImportKind,
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
    services.permissions,
  );
  if (!auth.can(kind.permission)) {
    refuse(auth.identified ? 403 : 401, auth.identified ? 'FORBIDDEN' : 'UNAUTHENTICATED');
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
  const spool = join(tmpdir(), `storecrm-import-${importId}.upload`);
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
      format: upload.format,
      encoding: upload.format === 'XLSX' ? 'UTF-8' : encoding,
      actor: {
        staffId: auth.staffId,
        apiKeyId: auth.kind === 'apiKey' ? auth.id : null,
        name: auth.name,
        audit: actorOfRequest(auth, req),
      },
    };
    const context: ImportContext = { principal: auth, now: new Date(), importId, services };

    let report: ImportReport;
    try {
      report = await importInTransaction(services, kind, spool, importOptions, context);
    } catch (error) {
      if (error instanceof ImportNotWritten) {
        report = error.report;
        await recordImport(services.sql, importOptions, report);
      } else if (error instanceof ImportRaceError || isUniqueViolation(error)) {
        services.logger.warn({ err: error, importId, kind: kind.name }, 'import collided with a concurrent change');
        refuse(409, 'IMPORT_CONFLICT');
        return;
      } else throw error;
    }
    services.logger.info(
      {
        principal: auth.id,
        principalKind: auth.kind,
        kind: kind.name,
        importId,
        fileName: importOptions.fileName,
        dryRun: importOptions.dryRun,
        outcome: report.outcome,
        bytes: upload.bytes,
        format: upload.format,
        encoding,
        rows: report.rowCount,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        errors: report.errorCount,
        ms: Date.now() - startedAt.getTime(),
      },
      'data import',
    );
    send(report.outcome === 'REJECTED' ? 422 : 200, reportJson(report, importOptions, locale));
  } finally {
    await rm(spool, { force: true });
  }
}
