import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, useExecutionCancellation, type Plugin as YogaPlugin, type YogaServerInstance } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { shareMetrics } from './cluster.ts';
import { resolvePrincipal } from './auth/service.ts';
import { coreRoutes } from './http/core-routes.ts';
import { Router } from './http/router.ts';
import { isGenerated } from './plugin-host/discover.ts';
import { TokenService } from './auth/tokens.ts';
import type { Database } from './db/client.ts';
import { EventBus } from './events/bus.ts';
import { JobScheduler } from './jobs/scheduler.ts';
import type { CalendarService } from './calendar/service.ts';
import { DEFAULT_IMPORT_MAX_BYTES } from './imports/http.ts';
import { importKindsOf } from './imports/registry.ts';
import { clientOf } from './audit/service.ts';
import { DEFAULT_DISCOUNT_LIMITS } from './auth/permissions.ts';
import type { StaffRoleKind } from './generated/prisma/enums.ts';
import { negotiateLocale } from './i18n/locale.ts';
import type { Logger } from './logger.ts';
import { PluginConfigError, PluginHost, type StorePlugin } from './plugin-host/host.ts';
import type { AppServices, Context } from './schema/context.ts';
import { Metrics } from './ops/metrics.ts';
import { useOperationLog } from './ops/operation-log.ts';
import { answerRefusedRequests } from './ops/refused-requests.ts';
import { traceRequest, useTracing } from './ops/tracing.ts';
import { tryAgainError, useErrorPolicy } from './schema/errors-plugin.ts';
import { persistedRequests, usePersistedOperations } from './storefront/persisted-operations.ts';
import { isTransient, isUnavailable } from './db/errors.ts';
import type { RedisStatus } from './events/bus.ts';
import type { ReplicaStatus } from './db/client.ts';
import { useInputLimits } from './schema/input-limits.ts';
import {
  clientAddressOf,
  rateLimitedError,
  useCancelWithRequest,
  useNoIntrospection,
  useOperationMediaTypes,
} from './security/http.ts';
import { DEFAULT_RATE_LIMITS, RateLimits, type RateLimitOptions } from './security/rate-limits.ts';
import { translate } from './i18n/messages.ts';
import { DEFAULT_QUERY_LIMITS, type QueryLimits, useQueryLimits } from './schema/query-limits.ts';
import { useSharedSubscriptionExecution } from './schema/shared-subscriptions.ts';
import { buildSchema } from './schema/index.ts';
import { WebhookDispatcher, type WebhookSettings } from './webhooks/delivery.ts';

export interface AppOptions {
  database: Database;
  jwtSecret: string;
  logger: Logger;
  plugins?: StorePlugin[];
  redisUrl?: string | undefined;
  redisChannelPrefix?: string;
  graphiql?: boolean;
  /** Time zone of the jobs' cron expressions (default Asia/Shanghai). */
  jobTimezone?: string;
  /** Spans for requests and operations (src/ops/tracing.ts; the provider is registered by startTracing). */
  tracing?: boolean;
  /** Largest file POST /imports/<kind> accepts (default 50 MB). */
  importMaxBytes?: number;
  /** Largest GraphQL request body or WebSocket message (default 1 MB); files go to /imports. */
  graphqlMaxBytes?: number;
  /** Depth, alias, field, token and cost limits of every operation (src/schema/query-limits.ts). */
  queryLimits?: Partial<QueryLimits>;
  /** Per-caller request limit and sign-in throttling (src/security/rate-limits.ts). */
  rateLimits?: Partial<RateLimitOptions>;
  /** `__schema`/`__type` answered (default true; production's default is off, see startup.ts). */
  introspection?: boolean;
  /** Customer tokens may send only registered operations, by id (STOREFRONT_PERSISTED_ONLY; docs/storefront.md). */
  storefrontPersistedOnly?: boolean;
  /** Origins allowed to call from a browser: a list, or '*' for any (default); [] sends no CORS headers. */
  corsOrigins?: string[] | '*';
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string | null;
  /** Take the client's address from the last X-Forwarded-For hop (behind one trusted proxy). */
  trustProxy?: boolean;
  /** Per-role limits on price reductions, in % (default DEFAULT_DISCOUNT_LIMITS; SALE_DISCOUNT_LIMITS). */
  discountLimits?: Partial<Record<StaffRoleKind, number>>;
  /** Webhook retries, timeouts and where deliveries may go (WEBHOOK_* variables; src/webhooks/delivery.ts). */
  webhooks?: Partial<WebhookSettings>;
}

/** What GET /readyz answers. */
export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not ready';
  database: 'up' | 'down';
  redis: RedisStatus;
  replica: ReplicaStatus;
}

export interface App {
  yoga: YogaServerInstance<Record<string, unknown>, Context>;
  metrics: Metrics;
  schema: GraphQLSchema;
  services: AppServices;
  /** Starts HTTP (GraphQL, GraphiQL, SSE) and graphql-ws on one port; resolves with the port. */
  listen(port: number, host?: string): Promise<number>;
  /** Starts taking scheduled jobs from the job queue (`pollSeconds`: how often to look; tests shorten it). */
  startJobs(options?: { pollSeconds?: number }): Promise<void>;
  /**
   * Drains, then closes: stops accepting (new requests on kept-alive connections are answered 503
   * with `Connection: close`, /readyz turns 503), lets every request in flight finish and its
   * response go out with `Connection: close`, ends SSE subscriptions and closes graphql-ws ones
   * with 1001 (going away), stops the job queue; whatever is still running after `drainMs`
   * (default 10 s) is cut. Then the plugins' teardowns run, in reverse order, within
   * `teardownMs` (default 3 s) for all of them.
   */
  close(options?: { drainMs?: number; teardownMs?: number }): Promise<void>;
  /** Why this process can no longer serve (its HTTP server stopped), or null while it can. */
  cannotServe(): string | null;
}

const GRAPHIQL_DEFAULT_QUERY = `# 1) Run SignIn (demo accounts are printed at start-up).
# 2) Headers: {"Authorization": "Bearer <token>"}
# 3) Run Overview. English messages: "Accept-Language": "en"

mutation SignIn {
  signIn(login: "13800000001", password: "demo-owner-1") {
    ... on SignInPayload { token expiresAt }
    ... on UserError { errorCode message }
  }
}

query Overview {
  stores { id code name }
  customers(first: 5, filter: { isMember: true }) {
    totalCount
    edges { node { name phone member { code } visitCount lifetimeSpend averageOrderValue lastPurchaseAt } }
  }
}
`;

const requestIds = new WeakMap<Request, string>();

type WsParams = { query: string; operationName?: string | null; variables?: Record<string, unknown> | null };
type WsContext = { connectionParams?: Record<string, unknown>; extra: { request: IncomingMessage; socket: unknown } };

/** Gives every request an id (or keeps the caller's X-Request-Id) and returns it in the response. */
function useRequestId(): YogaPlugin {
  return {
    onRequest: ({ request }) => {
      const given = request.headers.get('x-request-id');
      requestIds.set(request, given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID());
    },
    onResponse: ({ request, response }) => {
      const id = requestIds.get(request);
      if (id) response.headers.set('x-request-id', id);
    },
  };
}

/** 503 to a request that arrives while the process drains: the client sends it to another process. */
function refuseWhileDraining(res: ServerResponse) {
  res.writeHead(503, { 'content-type': 'application/json', connection: 'close', 'retry-after': '1' }).end(
    JSON.stringify({
      errors: [
        {
          message: 'The server is shutting down; send the request again',
          extensions: { code: 'SHUTTING_DOWN', retryable: true },
        },
      ],
    }),
  );
}

/** Default largest GraphQL request: a sale of 200 lines is about 40 KB of JSON. */
export const DEFAULT_GRAPHQL_MAX_BYTES = 1024 * 1024;

/**
 * A GraphQL POST past the limit is answered 413 before its body is read (Yoga would read it all
 * into memory first); one without a declared length (chunked) is refused with 411, since its size
 * is unknown until read. Every client library sends Content-Length for a JSON body.
 */
function refuseOversizedBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): boolean {
  const declared = req.headers['content-length'];
  const tooLarge = declared !== undefined && Number(declared) > maxBytes;
  const unknown = declared === undefined && req.headers['transfer-encoding'] !== undefined;
  if (!tooLarge && !unknown) return false;
  const locale = negotiateLocale(
    typeof req.headers['accept-language'] === 'string' ? req.headers['accept-language'] : null,
  );
  const code = tooLarge ? 'REQUEST_TOO_LARGE' : 'LENGTH_REQUIRED';
  res.writeHead(tooLarge ? 413 : 411, { 'content-type': 'application/json; charset=utf-8', connection: 'close' }).end(
    JSON.stringify({
      errors: [{ message: translate(code, { max: maxBytes }, locale), extensions: { code } }],
    }),
  );
  req.resume(); // drain what was sent, so the socket closes cleanly
  return true;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { database, logger } = options;
  const graphqlMaxBytes = options.graphqlMaxBytes ?? DEFAULT_GRAPHQL_MAX_BYTES;
  const plugins = new PluginHost(options.plugins ?? []);
  const ungenerated = plugins.ungeneratedSchemas((path) => isGenerated(path));
  if (ungenerated.length)
    throw new PluginConfigError(
      `The Prisma client lacks the models of ${ungenerated.map((n) => `"${n}"`).join(', ')}: ` +
        'run npm run prisma:generate (with the same STORE_CONFIG).',
    );
  const events = new EventBus({
    redisUrl: options.redisUrl,
    channelPrefix: options.redisChannelPrefix,
    onHandlerError: (type, err) => logger.error({ err, event: type }, 'event handler failed'),
    logger,
  });
  const services: AppServices = {
    db: database.prisma,
    analytics: database.analytics,
    sql: database.sql,
    logger,
    events,
    tokens: new TokenService(options.jwtSecret),
    plugins,
    permissions: plugins.permissions,
    calendar: plugins.services.get<CalendarService>('calendar'),
    importKinds: importKindsOf(plugins.importKinds),
    rateLimits: new RateLimits({
      ...DEFAULT_RATE_LIMITS,
      ...options.rateLimits,
      redisUrl: options.redisUrl,
      keyPrefix: options.redisChannelPrefix ?? 'storecrm:',
    }),
    discountLimits: { ...DEFAULT_DISCOUNT_LIMITS, ...options.discountLimits },
    webhooks: new WebhookDispatcher({ db: database.prisma, events, logger }, options.webhooks ?? {}, plugins.plugins),
  };
  // Every transaction that emits an event some endpoint wants writes its deliveries (the outbox).
  events.outbox = services.webhooks.outbox;
  services.calendar.useCache(events.cache);
  await plugins.start({ db: database.prisma, events, logger });
  const schema = buildSchema(plugins);
  let wsServer: WebSocketServer | null = null;
  let jobs: JobScheduler | null = null;
  const metrics = new Metrics({
    pool: () => database.poolStats(),
    websockets: () => wsServer?.clients.size ?? 0,
    jobQueue: async () => (jobs ? jobs.depth() : []),
    sqlStatements: database.statementCount,
    dependencies: async () => {
      const [redis, replica] = await Promise.all([events.redisStatus(), database.replicaStatus()]);
      return { redis, replica };
    },
    unsharedEvents: () => events.unsharedEvents,
  });
  plugins.observeJob = (name, run) => metrics.timeJob(name, run);
  shareMetrics(metrics.registry);

  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql:
      (options.graphiql ?? true) ? { title: 'store-crm GraphiQL', defaultQuery: GRAPHIQL_DEFAULT_QUERY } : false,
    // GraphiQL served from our own package, not a CDN: works offline and where CDNs are slow or blocked.
    // Loaded when first asked for: the bundle costs ~80 MB of memory a server that never shows it keeps free.
    renderGraphiQL: async (opts) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(opts),
    landingPage: false,
    // No cookies are used (tokens travel in Authorization), so no credentials cross origins.
    cors:
      options.corsOrigins === undefined || options.corsOrigins === '*'
        ? { origin: '*', credentials: false }
        : options.corsOrigins.length
          ? { origin: options.corsOrigins, credentials: false }
          : false,
    // File uploads go to POST /imports/<kind>, not through GraphQL.
    multipart: false,
    logging: {
      debug: (...args) => logger.debug({ args }, 'yoga'),
      info: (...args) => logger.info({ args }, 'yoga'),
      warn: (...args) => logger.warn({ args }, 'yoga'),
      error: (...args) => logger.error({ args }, 'yoga'),
    },
    plugins: [
      useRequestId(),
      useOperationMediaTypes(),
      usePersistedOperations(services.db),
      ...(options.introspection === false ? [useNoIntrospection()] : []),
      useQueryLimits({ ...DEFAULT_QUERY_LIMITS, ...options.queryLimits }),
      useErrorPolicy(logger),
      useInputLimits(),
      useSharedSubscriptionExecution(),
      useExecutionCancellation(),
      useCancelWithRequest(),
      metrics.plugin(),
      useOperationLog(logger),
      ...(options.tracing ? [useTracing()] : []),
      // Plugins' own (StorePlugin.yogaPlugins), after core's limits, error policy and metrics.
      ...plugins.yogaPlugins,
    ],
    context: async (initial): Promise<Context> => {
      const request = initial.request as Request | undefined;
      // graphql-ws passes connectionParams and the upgrade request instead of a fetch Request.
      const wsParams = initial.connectionParams as Record<string, unknown> | undefined;
      const wsReq = initial.req as IncomingMessage | undefined;
      const header = (name: string) =>
        request?.headers.get(name) ??
        (typeof wsParams?.[name] === 'string' ? (wsParams[name] as string) : undefined) ??
        (wsReq?.headers[name] as string | undefined) ??
        null;
      const locale = negotiateLocale(header('accept-language'));
      const requestId = (request && requestIds.get(request)) || randomUUID();
      let auth: Context['auth'];
      try {
        auth = await resolvePrincipal(
          services.db,
          services.tokens,
          {
            authorization: header('authorization') ?? (wsParams?.Authorization as string | undefined) ?? null,
            apiKey: header('x-api-key'),
          },
          services.events.cache,
          services.permissions,
        );
      } catch (err) {
        // The key or staff member could not be read: the database is restarting or unreachable.
        if (!isUnavailable(err) && !isTransient(err)) throw err;
        logger.warn({ err, requestId }, 'try again: the caller could not be identified');
        throw tryAgainError({ locale, requestId }, isUnavailable(err));
      }
      // A customer token on a deployment that takes only registered operations from storefronts.
      if (auth.kind === 'customer' && options.storefrontPersistedOnly && !(request && persistedRequests.has(request)))
        throw new GraphQLError(translate('PERSISTED_OPERATIONS_ONLY', {}, locale), {
          extensions: { code: 'PERSISTED_OPERATIONS_ONLY', http: { status: 403 } },
        });
      const clientAddress = clientAddressOf(
        (initial.req as IncomingMessage | undefined) ?? wsReq,
        request,
        options.trustProxy ?? false,
      );
      // Counted per staff member or API key, else per address; refused before anything runs.
      const refusal = await services.rateLimits.admit(
        auth.identified ? `${auth.kind}:${auth.id}` : `addr:${clientAddress}`,
      );
      if (refusal)
        throw rateLimitedError(
          translate('RATE_LIMITED', { seconds: refusal.retryAfterSeconds }, locale),
          refusal.retryAfterSeconds,
        );
      return {
        db: services.db,
        auth,
        locale,
        requestId,
        clientAddress,
        client: clientOf(
          (initial.req as IncomingMessage | undefined)?.socket?.remoteAddress ?? wsReq?.socket?.remoteAddress ?? null,
          header('x-forwarded-for'),
        ),
        app: services,
      };
    },
  });

  let httpServer: Server | null = null;
  // Set by close(): from then on the process only finishes what it has.
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const eventStreams = new Set<ServerResponse>();
  let onIdle: (() => void) | null = null;

  /**
   * /readyz: 200 while the database answers, so a load balancer sends traffic; 503 when it does not.
   * Redis and the read replica are reported, never required: without Redis a process sells, only
   * its events stay in it; without the replica, reports read the primary. Either one away makes
   * the status `degraded` (still 200): every process shares them, so failing readiness for them
   * would take the whole chain's tills offline at once.
   */
  async function ready(): Promise<{ ok: boolean; body: ReadinessReport }> {
    const [primary, redis, replica] = await Promise.all([
      services.db.$queryRaw`SELECT 1`.then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      events.redisStatus(),
      database.replicaStatus(),
    ]);
    const ok = primary === 'up';
    const degraded = redis === 'down' || replica === 'down' || replica === 'lagging';
    return {
      ok,
      body: { status: !ok ? 'not ready' : degraded ? 'degraded' : 'ready', database: primary, redis, replica },
    };
  }

  return {
    yoga,
    metrics,
    schema,
    services,
    async listen(port, host = '0.0.0.0') {
      // A moment for Redis to connect, so the first events are shared; without it the process
      // serves all the same (readiness says `degraded`) and starts sharing when Redis comes.
      if (!(await events.ready(2_000)) && events.distributed) {
        logger.warn('Redis is not reachable at start: serving without it until it is (events stay in this process)');
      }
      httpServer = createServer((req, res) => {
        if (draining) {
          // A new request on a connection kept alive from before the drain: not taken, nothing done.
          refuseWhileDraining(res);
          return;
        }
        inFlight.add(res);
        res.once('close', () => {
          inFlight.delete(res);
          eventStreams.delete(res);
          if (!inFlight.size) onIdle?.();
        });
        if (req.headers.accept?.includes('text/event-stream')) eventStreams.add(res);
        return options.tracing ? traceRequest(req, res, () => route(req, res)) : route(req, res);
      });
      // Core's routes and the plugins' in one table; what no route takes is GraphQL's.
      const router = new Router(
        [
          ...coreRoutes({
            services,
            metrics,
            metricsToken: options.metricsToken,
            importMaxBytes: options.importMaxBytes ?? DEFAULT_IMPORT_MAX_BYTES,
            ready,
          }),
          ...plugins.routes,
        ],
        services,
        options.trustProxy ?? false,
      );
      const route = (req: IncomingMessage, res: ServerResponse) => {
        if (router.handle(req, res)) return;
        if (req.method === 'POST' && refuseOversizedBody(req, res, graphqlMaxBytes)) return;
        void yoga.requestListener(req, res);
      };
      // ws's own default is 100 MiB per message: a subscription's message is as small as a query.
      wsServer = new WebSocketServer({
        server: httpServer,
        path: yoga.graphqlEndpoint,
        maxPayload: graphqlMaxBytes,
      });
      // The HTTP server's errors (a port in use) reach listen() below; ws re-emits them here.
      wsServer.on('error', (err) => {
        if (httpServer?.listening) logger.error({ err }, 'WebSocket server error');
      });
      useServer(
        {
          execute: (args: { rootValue: { execute: (a: unknown) => unknown } }) => args.rootValue.execute(args),
          subscribe: (args: { rootValue: { subscribe: (a: unknown) => unknown } }) => args.rootValue.subscribe(args),
          onSubscribe: async (ctx: WsContext, _id: string, params: WsParams) => {
            const {
              schema: s,
              execute,
              subscribe,
              contextFactory,
              parse,
              validate,
            } = yoga.getEnveloped({
              ...ctx,
              req: ctx.extra.request,
              socket: ctx.extra.socket,
              params,
            });
            // As over HTTP: limits checked while parsing and validating, before the context (and any SQL).
            try {
              const document = parse(params.query);
              const errors = validate(s, document);
              if (errors.length) return errors;
              return {
                schema: s,
                operationName: params.operationName,
                document,
                variableValues: params.variables,
                contextValue: await contextFactory(),
                rootValue: { execute, subscribe },
              };
            } catch (error) {
              if (error instanceof GraphQLError) return [error];
              throw error;
            }
          },
        } as never,
        wsServer,
      );
      answerRefusedRequests(httpServer, logger);
      // A port that cannot be bound rejects (the process then exits non-zero) instead of leaving a
      // process that serves nothing but holds the database.
      await new Promise<void>((resolve, reject) => {
        httpServer!.once('error', reject);
        httpServer!.listen(port, host, () => {
          httpServer!.off('error', reject);
          resolve();
        });
      });
      // After start, a server error (a failing socket) is logged, never an uncaught 'error' event.
      httpServer.on('error', (err) => logger.error({ err }, 'HTTP server error'));
      return (httpServer.address() as AddressInfo).port;
    },
    cannotServe() {
      if (draining) return null; // stopping on purpose: the shutdown path decides
      if (httpServer && !httpServer.listening) return 'the HTTP server is no longer listening';
      return null;
    },
    async startJobs(opts = {}) {
      if (jobs) return;
      jobs = new JobScheduler({
        database,
        logger,
        jobs: plugins.jobs,
        run: (name, asOf) => plugins.runJob(name, asOf),
        timezone: options.jobTimezone ?? 'Asia/Shanghai',
        pollSeconds: opts.pollSeconds,
        workers: [services.webhooks.worker],
      });
      await jobs.start();
      services.webhooks.start(jobs);
    },
    async close({ drainMs = 10_000, teardownMs = 3_000 } = {}) {
      const deadline = Date.now() + drainMs;
      draining = true;
      const jobsStopped = services.webhooks.stop().then(() => jobs?.stop(drainMs));
      if (wsServer) {
        // graphql-ws clients see 1001 (going away) and reconnect to another process.
        for (const client of wsServer.clients) client.close(1001, 'server shutting down');
      }
      if (httpServer) {
        const server = httpServer;
        const closed = server.listening ? new Promise((r) => server.close(r)) : Promise.resolve();
        server.closeIdleConnections();
        for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
        // An SSE subscription never finishes by itself: end it; the client reconnects elsewhere.
        for (const res of eventStreams) {
          res.on('error', () => {});
          res.end();
        }
        if (inFlight.size) {
          await Promise.race([
            new Promise<void>((r) => (onIdle = r)),
            new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()),
          ]);
        }
        // Past the deadline, or every response sent: close what is left (idle keep-alive sockets).
        server.closeAllConnections();
        await closed;
      }
      if (wsServer) {
        for (const client of wsServer.clients) client.terminate();
        await new Promise((r) => wsServer!.close(r));
      }
      await jobsStopped;
      // Nothing of the plugins runs any more: they may close what they hold (the bus and the
      // database are still open for a last write).
      await plugins.teardown(logger, teardownMs);
      await events.close();
      await services.rateLimits.close();
    },
  };
}
