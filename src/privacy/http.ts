import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { actorOfRequest } from '../audit/service.ts';
import { isUuid } from '../db/ids.ts';
import { InvalidInputError, UserError } from '../errors/index.ts';
import { runInTransaction } from '../events/transaction.ts';
import { translate } from '../i18n/messages.ts';
import { authorizeFile } from '../imports/workbook.ts';
import type { RouteContext } from '../contract.ts';
import type { AppServices } from '../schema/context.ts';
import { exportCustomerData } from './service.ts';

/**
 * GET /exports/customer-data/<customer global id>.json: everything held about one customer, as
 * one JSON file (a PIPL access or portability request), for the chain-level customer:privacy.
 * Audited (customer.data_export) in the transaction that reads it.
 */
export async function serveCustomerDataExport(
  req: IncomingMessage,
  res: ServerResponse,
  services: AppServices,
  globalId: string,
) {
  const allowed = await authorizeFile(req, res, services, 'customer:privacy');
  if (!allowed) return;
  const { auth, locale } = allowed;
  const fail = (status: number, error: UserError) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(
      JSON.stringify({
        errors: [
          {
            message: translate(error.code, error.params, locale),
            extensions: { code: 'BAD_USER_INPUT', errorCode: error.code, field: error.field },
          },
        ],
      }),
    );
  let id: string | null = null;
  try {
    const decoded = decodeGlobalID(decodeURIComponent(globalId));
    if (decoded.typename === 'Customer' && isUuid(decoded.id)) id = decoded.id;
  } catch {
    // not a global id
  }
  if (!id) {
    fail(400, new InvalidInputError('INVALID_ID', { id: globalId.slice(0, 100) }, ['customerId']));
    return;
  }
  try {
    const document = await runInTransaction(services.db, services.events, (unit) =>
      exportCustomerData(unit, id, services.plugins.customerDataHooks, actorOfRequest(auth, req)),
    );
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="customer-${id}.json"`,
      'cache-control': 'no-store',
    });
    // Plugins' rows may hold bigints (sequence numbers): JSON carries them as strings.
    res.end(JSON.stringify(document, (_key, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
  } catch (error) {
    if (error instanceof UserError) fail(error.code === 'NOT_FOUND' ? 404 : 400, error);
    else throw error;
  }
}

/**
 * GET /exports/my-data.json with a customer's storefront token: their own copy of what is held
 * about them (PIPL art. 45), without what is for staff only (docs/storefront.md). Audited.
 */
export async function serveMyDataCopy(req: IncomingMessage, res: ServerResponse, ctx: RouteContext) {
  const auth = await ctx.principal();
  if (!auth.customerId) {
    const code = auth.identified ? 'FORBIDDEN' : 'UNAUTHENTICATED';
    ctx.json(auth.identified ? 403 : 401, {
      errors: [{ message: translate(code, {}, ctx.locale), extensions: { code } }],
    });
    return;
  }
  const customerId = auth.customerId;
  const document = await runInTransaction(ctx.app.db, ctx.app.events, (unit) =>
    exportCustomerData(unit, customerId, ctx.app.plugins.customerDataHooks, actorOfRequest(auth, req), 'customer'),
  );
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-disposition': 'attachment; filename="my-data.json"',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(document, (_key, v) => (typeof v === 'bigint' ? v.toString() : v), 2));
}
