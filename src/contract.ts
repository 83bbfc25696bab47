/**
 * The types core and plugins agree on, in one leaf module: the schema builder's types, the request
 * context, the app's long-lived services and the shape of a plugin. They refer to each other (a
 * plugin's `schema` hook takes the builder, whose context holds the app, which holds the plugins),
 * so they live together here and `builder.ts`, `context.ts` and the plugin host each import this
 * module instead of each other. Types only: nothing here runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InputFieldRef } from '@pothos/core';
import type { Plugin as YogaPlugin } from 'graphql-yoga';
import type { PermissionDeclaration, Permission, PermissionTable } from './auth/permissions.ts';
import type { Principal } from './auth/principal.ts';
import type { TokenService } from './auth/tokens.ts';
import type { CalendarService } from './calendar/service.ts';
import type { CustomerMergeStep } from './customers/service.ts';
import type { SqlRunner } from './db/migrate.ts';
import type { Db } from './db/tx.ts';
import type { EventBus } from './events/bus.ts';
import type { DomainEvents, EventType } from './events/domain-events.ts';
import type PrismaTypes from './generated/pothos-prisma-types.ts';
import type { Prisma } from './generated/prisma/client.ts';
import type { StaffRoleKind } from './generated/prisma/enums.ts';
import type { Locale } from './i18n/locale.ts';
import type { AnyImportKind } from './imports/kind.ts';
import type { Logger } from './logger.ts';
import type { ServiceRegistry } from './plugin-host/services.ts';
import type { CustomerDataHook } from './privacy/service.ts';
import type { SaleQuoteShape, SaleStep } from './sales/pipeline.ts';
import type { RefundStep } from './sales/refund-pipeline.ts';
import type { TenderDeclaration } from './sales/tenders.ts';
import type { RateLimits } from './security/rate-limits.ts';
import type { SegmentService } from './segments/service.ts';
import type { WebhookDispatcher } from './webhooks/delivery.ts';

// ---------- the schema builder ----------

export interface SchemaTypes {
  PrismaTypes: PrismaTypes;
  Context: Context;
  AuthScopes: {
    signedIn: boolean;
    /** Granted when any of the caller's roles has it (chain-wide data: customers, products). */
    permission: Permission;
    /** Granted when the caller's role in that store has it (store data: sales, stock). */
    storePermission: { storeId: string; permission: Permission };
    /** A customer with a storefront token (src/storefront/). */
    customer: boolean;
    /** That customer, and this one: a row of theirs. */
    customerSelf: string;
  };
  Scalars: {
    Money: { Input: Prisma.Decimal; Output: Prisma.Decimal | string | number };
    Date: { Input: Date; Output: Date | string };
    DateTime: { Input: Date; Output: Date };
    ID: { Input: string; Output: string | number | bigint };
  };
  /** Object types plugins extend by name (core defines them; see src/sales/pipeline.ts). */
  Objects: { SaleQuote: SaleQuoteShape };
  // Fields are non-null unless marked nullable: clients can trust what the schema promises.
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}

export type BuilderTypes = PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>;
export type Builder = PothosSchemaTypes.SchemaBuilder<BuilderTypes>;

/** The builder a plugin's `saleInputs` receives: `t.string()`, `t.stringList()`, `t.field({ type })`… */
export type SaleInputFieldBuilder = PothosSchemaTypes.InputFieldBuilder<BuilderTypes, 'InputObject'>;

// ---------- the app and the request ----------

/** Long-lived parts of one running API process, shared by every request. */
export interface AppServices {
  db: Db;
  /** Read-only analytics (reports, exports, dashboards): the read replica when configured, else `db`. May lag `db`. */
  analytics: Db;
  /** The same database through its driver, for bulk statements (customer import). */
  sql: SqlRunner;
  logger: Logger;
  events: EventBus;
  tokens: TokenService;
  plugins: InstalledPlugins;
  /** What each role may do: core's permissions and the installed plugins' (src/auth/permissions.ts). */
  permissions: PermissionTable;
  /** The retail calendar (src/calendar/), also provided to plugins as the service "calendar". */
  calendar: CalendarService;
  /** Every kind of import file, core's and the plugins', in the order a migration imports them. */
  importKinds: AnyImportKind[];
  /** Per-caller request limit and sign-in throttling (src/security/rate-limits.ts). */
  rateLimits: RateLimits;
  /** The largest price reduction per role on a sale line, in % (SALE_DISCOUNT_LIMITS; src/auth/permissions.ts). */
  discountLimits: Record<StaffRoleKind, number>;
  /** Webhook delivery: the outbox, the queue's worker, the address policy (src/webhooks/). */
  webhooks: WebhookDispatcher;
}

/** What every resolver receives. */
export interface Context {
  db: Db;
  auth: Principal;
  locale: Locale;
  requestId: string;
  /**
   * The client's address: the socket's peer, or with trustProxy the last X-Forwarded-For hop
   * ('unknown' in-process).
   */
  clientAddress: string;
  /** Where the request came from, for the audit log: the connection's peer and X-Forwarded-For as sent. */
  client: { address: string | null; forwardedFor: string | null };
  app: AppServices;
}

// ---------- HTTP routes ----------

/** What a route's handler gets besides the request and the response. */
export interface RouteContext {
  app: AppServices;
  db: Db;
  logger: Logger;
  /** zh-CN or en, from Accept-Language. */
  locale: Locale;
  url: URL;
  /** What the route's `match` returned (captured parts of the path); empty without one. */
  params: Record<string, string>;
  /** The caller, from `Authorization: Bearer …` or `X-Api-Key` (anonymous without them); resolved once. */
  principal(): Promise<Principal>;
  /**
   * The caller when they hold `permission` (in `storeId` when given, else checked like the Pothos
   * scope `permission`); otherwise answers 401 or 403 itself and returns null.
   */
  authorize(permission: Permission, storeId?: string | null): Promise<Principal | null>;
  /** Answers with a JSON body. */
  json(status: number, body: unknown, headers?: Record<string, string>): void;
}

/**
 * One entry of the HTTP route table (src/http/router.ts). Core's own routes (exports, imports,
 * health, metrics) are entries of the same table. A route matches when the method does (`*`: any)
 * and the path equals `path` or starts with `prefix`, and then `match`, when given, returns the
 * path's parameters rather than null. A plugin's paths lie under `/plugins/<its name>`.
 */
export interface HttpRoute {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';
  path?: string;
  prefix?: string;
  match?: (path: string) => Record<string, string> | null;
  /**
   * What one request counts against its caller's per-minute allowance, the one GraphQL requests
   * use (`RATE_LIMIT_PER_MINUTE`; per staff member, API key or customer, else per address). 1 by
   * default; a route that builds or reads a whole file costs more (core's exports 30, imports 10); 0 for
   * probes and scrapes. Over the allowance the request is answered 429 with Retry-After.
   */
  cost?: number;
  /**
   * Answers the request. A rejection is logged and answered 500 (503 TRY_AGAIN when the database
   * is unreachable) when nothing was sent yet.
   */
  handler(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): void | Promise<void>;
}

// ---------- plugins ----------

/** What a plugin's setup, jobs and teardown receive from the running API. */
export interface PluginContext {
  db: Db;
  events: EventBus;
  services: ServiceRegistry;
  logger: Logger;
}

/**
 * A job the host runs on a schedule, through the job queue (src/jobs/scheduler.ts): each
 * occurrence once across every API process. It must still be safe to run twice for the same
 * moment: a run that crashed after committing is retried.
 */
export interface ScheduledJob {
  /** Unique, prefixed with the plugin's name: "points.expire". Letters, digits, . _ - / only. */
  name: string;
  /** When it runs: a 5-field cron expression in the deployment's JOB_TIMEZONE ("5 * * * *": hourly at :05). */
  cron: string;
  /** A run still going after this long is presumed dead and retried (default 900). */
  timeoutSeconds?: number;
  /** `now` is the moment the run stands for (the cron occurrence; tests and catch-up runs pass another one). */
  run(ctx: PluginContext, now: Date): Promise<{ processed: number }>;
}

/**
 * An installable plugin: one object, usually returned by a factory that takes the plugin's
 * typed options. Everything is optional except the name. docs/plugins.md explains each hook.
 */
export interface StorePlugin {
  name: string;
  /** Plugins that must be installed, and are set up and run before this one. */
  dependsOn?: string[];
  /**
   * Order without dependence: this plugin's hooks run after these plugins' when they are
   * installed (a campaign after the tier discount). Never the order of the configuration list:
   * plugins nothing orders run in alphabetical order of their names.
   */
  runsAfter?: string[];
  /** Likewise: this plugin's hooks run before these plugins' when they are installed. */
  runsBefore?: string[];
  /**
   * Fields the plugin adds to RecordSaleInput and PreviewSaleInput (a coupon code), built with
   * Pothos's input field builder. Their values reach the plugin's steps as `draft.inputs[name]`
   * and count in the sale's fingerprint. Names must not clash with core's or another plugin's.
   */
  saleInputs?: (t: SaleInputFieldBuilder) => Record<string, InputFieldRef<BuilderTypes, unknown>>;
  /** Folder of SQL migrations in Prisma's layout, applied after core's. */
  migrationsDir?: string;
  /**
   * The plugin's Prisma models (a `schema.prisma` without generator or datasource), by absolute
   * path: `npm run prisma:generate` adds them to the client (src/cli/prisma-generate.ts), and
   * start-up refuses a plugin whose models the generated client lacks.
   */
  prismaSchema?: string;
  /**
   * Permissions the plugin checks, granted to roles like core's and checked the same way
   * (`Principal.can`, the Pothos scopes `permission` and `storePermission`, `ctx.authorize` in a
   * route). Names begin with the plugin's name: `campaigns:manage`.
   */
  permissions?: PermissionDeclaration[];
  /**
   * Payment methods the plugin adds (a gift card): they join the GraphQL enum PaymentMethod and
   * the `tenders` query while the plugin is installed, and its sale steps settle them (they see
   * the payments in `draft.payments` and `sale.payments`). Codes are upper-case, unique.
   */
  tenders?: TenderDeclaration[];
  /** HTTP routes under `/plugins/<name>` (a webhook, a file), served beside /graphql. */
  routes?: HttpRoute[];
  /** Yoga / envelop plugins added after core's (core's limits, error policy and metrics run first). */
  yogaPlugins?: YogaPlugin<Record<string, unknown>, Context>[];
  /** Adds types and fields (also on core types such as Customer and Sale). */
  schema?: (builder: Builder) => void;
  /** Runs once at start, in dependency order: provide services, use other plugins' services. */
  setup?: (ctx: PluginContext) => void | Promise<void>;
  /**
   * The plugin's events that integrators may receive by webhook (src/webhooks/), with what each
   * means; webhookEventTypes lists them beside core's. Emitted with `emit` in a transaction, they
   * are delivered after commit like core's.
   */
  webhookEvents?: { [K in EventType]?: { 'zh-CN': string; en: string } };
  /**
   * Runs once when the process shuts down, after requests in flight have finished and jobs have
   * stopped, in the reverse of the plugins' order, within a bounded time shared by all plugins
   * (what is still running then is left behind): flush buffers, close the plugin's connections.
   */
  teardown?: (ctx: PluginContext) => void | Promise<void>;
  /** Handlers for committed events, run in the process that committed them. */
  events?: { [K in EventType]?: (payload: DomainEvents[K]) => void | Promise<void> };
  /** Steps in the sale pipeline, run inside the sale's transaction in plugin order. */
  saleSteps?: SaleStep[];
  /** Steps run inside a refund's transaction, in plugin order. */
  refundSteps?: RefundStep[];
  /** Runs inside a customer merge's transaction: move the plugin's own rows to the survivor. */
  onCustomerMerge?: CustomerMergeStep;
  /**
   * PIPL requests: what the plugin holds about a customer (included in the customer's data
   * export) and, if it holds personal data beyond the customer's id, how to erase it.
   */
  customerData?: CustomerDataHook;
  /** Adds the plugin's part of the demo data, after core's (only when demo data is created). */
  seedDemo?: (ctx: PluginContext) => Promise<void>;
  /** Scheduled jobs (points expiry, tier reviews…). */
  jobs?: ScheduledJob[];
  /**
   * Kinds of import file the plugin reads (points balances, tiers), served at POST /imports/<name>
   * with the same checks, dry run, history and templates as core's (src/imports/kind.ts).
   */
  importKinds?: AnyImportKind[];
}

/** The sale pipeline of the installed plugins: their steps in order, and the tenders they settle. */
export interface SalePipeline {
  steps: SaleStep[];
  /** Codes of the plugins' tenders: a payment in one of them is accepted (core's are always). */
  tenders: ReadonlySet<string>;
}

/** What the running app knows of its installed plugins (the plugin host, src/plugin-host/host.ts). */
export interface InstalledPlugins {
  readonly plugins: readonly StorePlugin[];
  readonly services: ServiceRegistry;
  readonly salePipeline: SalePipeline;
  readonly refundSteps: RefundStep[];
  readonly mergeSteps: CustomerMergeStep[];
  readonly customerDataHooks: { plugin: string; hook: CustomerDataHook }[];
  readonly jobs: ScheduledJob[];
  /** Every plugin's tender, in plugin order, with the plugin that declares it. */
  readonly tenders: (TenderDeclaration & { plugin: string })[];
  /** Core's customer segments service (src/segments/), also provided to plugins as "segments". */
  readonly segments: SegmentService;
  runJob(name: string, now?: Date): Promise<{ processed: number }>;
  seedDemo(): Promise<void>;
}
