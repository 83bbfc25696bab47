import type { HttpRoute, AppServices } from '../contract.ts';
import { metricsForScrape } from '../cluster.ts';
import { serveCustomerExport } from '../customers/export.ts';
import { serveCustomerWorkbook } from '../customers/export-xlsx.ts';
import { serveImport } from '../imports/http.ts';
import { serveTemplate } from '../imports/workbook.ts';
import type { Metrics } from '../ops/metrics.ts';
import { serveCustomerDataExport, serveMyDataCopy } from '../privacy/http.ts';
import { serveSegmentExport } from '../segments/export.ts';
import { serveSalesByDayWorkbook } from '../sales/export.ts';
import { metricsAllowed } from '../security/http.ts';
import { serveStockWorkbook } from '../stock/export.ts';

/**
 * What an export counts against the caller's per-minute allowance (HttpRoute.cost): each builds a
 * whole file, so a caller, a customer's token included, cannot ask for one as often as for a query
 * (40 a minute at the default 1,200).
 */
const EXPORT_COST = 30;
/**
 * An import reads a whole file too, but a migration script posts its batches one after another
 * (sales history in resumable batches): 120 a minute at the default.
 */
const IMPORT_COST = 10;

/**
 * Core's own HTTP routes, entries of the same table plugins add theirs to (src/http/router.ts).
 * docs/architecture.md lists them.
 */
export function coreRoutes(options: {
  services: AppServices;
  metrics: Metrics;
  metricsToken: string | null | undefined;
  importMaxBytes: number;
  ready: () => Promise<{ ok: boolean; body: unknown }>;
}): HttpRoute[] {
  const { services } = options;
  return [
    {
      method: '*',
      path: '/healthz',
      cost: 0,
      // The pid tells an operator (and a test) which process of a cluster answered.
      handler: (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'ok', pid: process.pid }));
      },
    },
    {
      method: '*',
      path: '/readyz',
      cost: 0,
      handler: async (_req, res) => {
        const { ok, body } = await options.ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
    },
    {
      method: '*',
      path: '/metrics',
      cost: 0,
      handler: async (req, res) => {
        if (!metricsAllowed(req, options.metricsToken)) {
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(
            JSON.stringify({
              errors: [{ message: 'Send the metrics token', extensions: { code: 'UNAUTHENTICATED' } }],
            }),
          );
          return;
        }
        const { text, contentType } = await metricsForScrape(options.metrics.registry);
        res.writeHead(200, { 'content-type': contentType }).end(text);
      },
    },
    {
      method: 'GET',
      path: '/exports/customers.csv',
      cost: EXPORT_COST,
      handler: (req, res) => serveCustomerExport(req, res, services),
    },
    {
      method: 'GET',
      path: '/exports/customers.xlsx',
      cost: EXPORT_COST,
      handler: (req, res) => serveCustomerWorkbook(req, res, services),
    },
    {
      method: 'GET',
      path: '/exports/stock.xlsx',
      cost: EXPORT_COST,
      handler: (req, res) => serveStockWorkbook(req, res, services),
    },
    {
      method: 'GET',
      path: '/exports/sales-by-day.xlsx',
      cost: EXPORT_COST,
      handler: (req, res) => serveSalesByDayWorkbook(req, res, services),
    },
    {
      method: 'GET',
      prefix: '/exports/segments/',
      cost: EXPORT_COST,
      match: (path) => {
        const id = /^\/exports\/segments\/([^/]{1,200})\.csv$/.exec(path)?.[1];
        return id ? { id } : null;
      },
      handler: (req, res, ctx) => serveSegmentExport(req, res, services, ctx.params.id!),
    },
    { method: 'GET', path: '/exports/my-data.json', cost: EXPORT_COST, handler: serveMyDataCopy },
    {
      method: 'GET',
      prefix: '/exports/customer-data/',
      cost: EXPORT_COST,
      match: (path) => {
        const id = /^\/exports\/customer-data\/([^/]{1,200})\.json$/.exec(path)?.[1];
        return id ? { id } : null;
      },
      handler: (req, res, ctx) => serveCustomerDataExport(req, res, services, ctx.params.id!),
    },
    {
      method: 'GET',
      prefix: '/imports/templates/',
      match: (path) => {
        const m = /^\/imports\/templates\/([a-z-]+)\.(xlsx|csv)$/.exec(path);
        return m ? { kind: m[1]!, format: m[2]! } : null;
      },
      handler: async (req, res, ctx) => {
        // Example rows name this deployment's stores, so the template as downloaded passes a dry run.
        const stores = await services.db.store.findMany({ select: { code: true }, orderBy: { code: 'asc' }, take: 2 });
        const codes = stores.map((s) => s.code);
        await serveTemplate(
          req,
          res,
          services.importKinds,
          ctx.params.kind!,
          ctx.params.format as 'xlsx' | 'csv',
          codes,
        );
      },
    },
    {
      // POST /imports/<kind>, also written …/<kind>.csv or …/<kind>.xlsx: the format is read from the file.
      method: 'POST',
      prefix: '/imports/',
      cost: IMPORT_COST,
      match: (path) => {
        const name = /^\/imports\/([a-z-]+?)(?:\.(?:csv|xlsx))?$/.exec(path)?.[1];
        return name && services.importKinds.some((k) => k.name === name) ? { kind: name } : null;
      },
      handler: (req, res, ctx) =>
        serveImport(req, res, services, services.importKinds.find((k) => k.name === ctx.params.kind)!, {
          maxBytes: options.importMaxBytes,
        }),
    },
  ];
}
