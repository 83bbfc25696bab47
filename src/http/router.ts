import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppServices, HttpRoute, RouteContext } from '../contract.ts';
import { resolvePrincipal } from '../auth/service.ts';
import type { Principal } from '../auth/principal.ts';
import { isUnavailable } from '../db/errors.ts';
import { negotiateLocale } from '../i18n/locale.ts';
import { translate } from '../i18n/messages.ts';
import { clientAddressOf } from '../security/http.ts';

/**
 * The HTTP route table beside /graphql: core's routes (exports, imports, templates, health,
 * metrics; src/http/core-routes.ts) and then the installed plugins' (`StorePlugin.routes`), one
 * mechanism for both. The first route that matches answers; a request no route takes goes to Yoga.
 */
export class Router {
  constructor(
    private readonly routes: readonly HttpRoute[],
    private readonly services: AppServices,
    private readonly trustProxy: boolean,
  ) {}

  /** The route for this request and what its `match` captured, or null (the request is Yoga's). */
  find(method: string, path: string): { route: HttpRoute; params: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== '*' && route.method !== method) continue;
      if (route.path !== undefined && route.path !== path) continue;
      if (route.prefix !== undefined && !path.startsWith(route.prefix)) continue;
      if (!route.match) return { route, params: {} };
      const params = route.match(path);
      if (params) return { route, params };
    }
    return null;
  }

  /**
   * Answers the request when a route takes it; false when none does. A handler that fails is
   * logged and answered 500, or 503 TRY_AGAIN when the database is unreachable (a restart, a
   * failover: the same request sent again shortly is answered); after the first byte the
   * connection is cut instead, so a client never takes half a file for a whole one.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const found = this.find(req.method ?? 'GET', url.pathname);
    if (!found) return false;
    const { route, params } = found;
    const ctx = this.context(req, res, url, params);
    const what = `${req.method} ${route.path ?? route.prefix ?? url.pathname}`;
    void Promise.resolve()
      .then(async () => {
        if (await this.refused(req, route, ctx)) return;
        await route.handler(req, res, ctx);
      })
      .catch((err: unknown) => {
        const unavailable = isUnavailable(err);
        this.services.logger.error(
          { err, route: what },
          `${what} failed${unavailable ? ': the database is unreachable' : ''}`,
        );
        if (res.headersSent) res.destroy(err as Error);
        else if (unavailable)
          ctx.json(
            503,
            {
              errors: [
                {
                  message: 'The database is unreachable for a moment; send the request again',
                  extensions: { code: 'TRY_AGAIN', retryable: true, reason: 'DATABASE_UNAVAILABLE' },
                },
              ],
            },
            { 'retry-after': '2' },
          );
        else
          ctx.json(500, {
            errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
          });
      });
    return true;
  }

  /** Counts the request against its caller's allowance (HttpRoute.cost); answers 429 when it is spent. */
  private async refused(req: IncomingMessage, route: HttpRoute, ctx: RouteContext): Promise<boolean> {
    const cost = route.cost ?? 1;
    if (cost <= 0) return false;
    const auth = await ctx.principal();
    const caller = auth.identified
      ? `${auth.kind}:${auth.id}`
      : `addr:${clientAddressOf(req, undefined, this.trustProxy)}`;
    const refusal = await this.services.rateLimits.admit(caller, cost);
    if (!refusal) return false;
    const seconds = refusal.retryAfterSeconds;
    ctx.json(
      429,
      {
        errors: [
          {
            message: translate('RATE_LIMITED', { seconds }, ctx.locale),
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds },
          },
        ],
      },
      { 'retry-after': String(seconds) },
    );
    return true;
  }

  private context(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): RouteContext {
    const services = this.services;
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
    const locale = negotiateLocale(header('accept-language'));
    let caller: Promise<Principal> | null = null;
    const json: RouteContext['json'] = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const principal = () => {
      caller ??= resolvePrincipal(
        services.db,
        services.tokens,
        { authorization: header('authorization'), apiKey: header('x-api-key') },
        services.events.cache,
        services.permissions,
      );
      return caller;
    };
    return {
      app: services,
      db: services.db,
      logger: services.logger,
      locale,
      url,
      params,
      principal,
      json,
      async authorize(permission, storeId) {
        const auth = await principal();
        if (auth.can(permission, storeId)) return auth;
        const code = auth.identified ? 'FORBIDDEN' : 'UNAUTHENTICATED';
        json(auth.identified ? 403 : 401, { errors: [{ message: translate(code, {}, locale), extensions: { code } }] });
        return null;
      },
    };
  }
}
