import type {
  HttpRoute,
  InstalledPlugins,
  PluginContext,
  SaleInputFieldBuilder,
  SalePipeline,
  ScheduledJob,
  StorePlugin,
  BuilderTypes,
  Builder,
  Context,
} from '../contract.ts';
import type { CustomerMergeStep } from '../customers/service.ts';
import type { CustomerDataHook } from '../privacy/service.ts';
import type { EventType } from '../events/domain-events.ts';
import type { Logger } from '../logger.ts';
import type { RefundStep } from '../sales/refund-pipeline.ts';
import type { SaleStep } from '../sales/pipeline.ts';
import type { InputFieldRef } from '@pothos/core';
import type { Plugin as YogaPlugin } from 'graphql-yoga';
import type { AnyImportKind } from '../imports/kind.ts';
import { CronExpressionParser } from 'cron-parser';
import { CORE_PERMISSIONS, PermissionTable, type PermissionDeclaration } from '../auth/permissions.ts';
import { CORE_TENDER_CODES, TENDER_CODE, type TenderDeclaration } from '../sales/tenders.ts';
import { PluginConfigError } from './errors.ts';
import { CalendarService } from '../calendar/service.ts';
import { ServiceRegistry } from './services.ts';
import { SegmentService } from '../segments/service.ts';
import { refreshSalesSummary, SUMMARY_CRON, SUMMARY_JOB } from '../insights/summary.ts';

export { PluginConfigError };
// The plugin's shape is declared in the leaf module src/contract.ts; plugins import it from here.
export type {
  HttpRoute,
  PluginContext,
  RouteContext,
  SaleInputFieldBuilder,
  ScheduledJob,
  StorePlugin,
} from '../contract.ts';

const ROLES = new Set(['OWNER', 'MANAGER', 'CASHIER', 'SALES_ASSOCIATE']);

export function definePlugin<P extends StorePlugin>(plugin: P): P {
  return plugin;
}

/** Checks a plugin's options, so a mistake in the configuration stops start-up with a clear message. */
export function parsePluginOptions<T>(
  plugin: string,
  schema: {
    safeParse(
      input: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  input: unknown,
): T {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((i) => `  ${i.path.map(String).join('.') || '(options)'}: ${i.message}`)
    .join('\n');
  throw new PluginConfigError(`Invalid options for plugin "${plugin}":\n${problems}`);
}

/** Core's own scheduled jobs, run, scheduled and observed like the plugins'. */
const CORE_JOBS: ScheduledJob[] = [
  {
    name: SUMMARY_JOB,
    cron: SUMMARY_CRON,
    timeoutSeconds: 30 * 60,
    run: (ctx) => refreshSalesSummary(ctx.db),
  },
];

/** The installed plugins, ordered so that each comes after what it depends on. */
export class PluginHost implements InstalledPlugins {
  readonly plugins: readonly StorePlugin[];
  readonly services = new ServiceRegistry();
  /** Core's permissions and the plugins', per role: what every check consults. */
  readonly permissions: PermissionTable;
  readonly tenders: (TenderDeclaration & { plugin: string })[];
  readonly salePipeline: SalePipeline;
  /** Wraps every job run (metrics); set by the app. */
  observeJob: <T>(name: string, run: () => Promise<T>) => Promise<T> = (_name, run) => run();
  private context: PluginContext | null = null;

  constructor(plugins: StorePlugin[]) {
    this.plugins = orderByDependencies(plugins);
    // Core's own services, which plugins take by name like each other's (docs/calendar.md).
    this.services.provide('calendar', new CalendarService());
    // Customer segments: campaigns ask who is in one; tiers and rfm define their conditions (docs/plugins.md).
    this.services.provide('segments', new SegmentService());
    const kindNames = new Set<string>();
    for (const kind of this.importKinds) {
      if (kindNames.has(kind.name)) throw new PluginConfigError(`Two plugins define the import kind "${kind.name}".`);
      if (!/^[a-z][a-z-]{1,40}$/.test(kind.name))
        throw new PluginConfigError(`Import kind "${kind.name}" may only hold lower-case letters and dashes.`);
      kindNames.add(kind.name);
    }
    const jobNames = new Set<string>();
    for (const job of this.jobs) {
      if (jobNames.has(job.name)) throw new PluginConfigError(`Two plugins define the job "${job.name}".`);
      if (!/^[\w.\-/]+$/.test(job.name))
        throw new PluginConfigError(`Job name "${job.name}" may only hold letters, digits and . _ - /.`);
      assertCron(job.name, job.cron);
      jobNames.add(job.name);
    }
    this.permissions = new PermissionTable([...CORE_PERMISSIONS, ...pluginPermissions(this.plugins)]);
    this.tenders = pluginTenders(this.plugins);
    this.salePipeline = {
      steps: this.plugins.flatMap((p) => p.saleSteps ?? []),
      tenders: new Set(this.tenders.map((t) => t.code)),
    };
    for (const plugin of this.plugins) for (const route of plugin.routes ?? []) checkRoute(plugin.name, route);
  }

  addSchema(builder: Builder) {
    for (const plugin of this.plugins) plugin.schema?.(builder);
  }

  /**
   * The sale input fields plugins declare, for RecordSaleInput and PreviewSaleInput. Called once
   * per input type; a name core or another plugin already uses stops the start.
   */
  saleInputFields(t: SaleInputFieldBuilder, coreNames: string[]) {
    const fields: Record<string, InputFieldRef<BuilderTypes, unknown>> = {};
    const owner = new Map(coreNames.map((n) => [n, 'core']));
    for (const plugin of this.plugins) {
      for (const [name, ref] of Object.entries(plugin.saleInputs?.(t) ?? {})) {
        const taken = owner.get(name);
        if (taken)
          throw new PluginConfigError(
            `Plugin "${plugin.name}" declares the sale input "${name}", which ${
              taken === 'core' ? 'core uses' : `plugin "${taken}" declares`
            }.`,
          );
        owner.set(name, plugin.name);
        fields[name] = ref;
      }
    }
    return fields;
  }

  /**
   * Plugins' Prisma models missing from the generated client (npm run prisma:generate not run
   * since the plugin was installed): their names, so start-up can stop with the fix.
   */
  ungeneratedSchemas(generated: (path: string) => boolean): string[] {
    return this.plugins.filter((p) => p.prismaSchema && !generated(p.prismaSchema)).map((p) => p.name);
  }

  /** Wires event handlers and runs each plugin's setup, dependencies first. */
  async start(ctx: Omit<PluginContext, 'services'>) {
    this.context = { ...ctx, services: this.services };
    for (const plugin of this.plugins) {
      for (const [type, handler] of Object.entries(plugin.events ?? {})) {
        ctx.events.on(type as EventType, handler as (p: unknown) => void);
      }
      await plugin.setup?.(this.context);
    }
  }

  /** Each plugin's demo data, dependencies first. */
  async seedDemo() {
    if (!this.context) throw new PluginConfigError('Plugins have not been started.');
    for (const plugin of this.plugins) await plugin.seedDemo?.(this.context);
  }

  /** Core's segment service, with the conditions plugins defined in their setup. */
  get segments(): SegmentService {
    return this.services.get<SegmentService>('segments');
  }

  get saleSteps(): SaleStep[] {
    return this.salePipeline.steps;
  }

  /** The plugins' HTTP routes, in plugin order (served after core's, src/http/router.ts). */
  get routes(): HttpRoute[] {
    return this.plugins.flatMap((p) => p.routes ?? []);
  }

  /** The plugins' Yoga/envelop plugins, in plugin order, added after core's. */
  get yogaPlugins(): YogaPlugin<Record<string, unknown>, Context>[] {
    return this.plugins.flatMap((p) => p.yogaPlugins ?? []);
  }

  /**
   * Each plugin's teardown, in the reverse of the plugins' order (a plugin stops before what it
   * depends on), within `budgetMs` shared by all: one that throws is logged, one still running at
   * the deadline is left behind (logged) so shutdown always ends.
   */
  async teardown(logger: Logger, budgetMs: number): Promise<void> {
    if (!this.context) return;
    const context = this.context;
    const deadline = Date.now() + budgetMs;
    for (const plugin of [...this.plugins].reverse()) {
      if (!plugin.teardown) continue;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => plugin.teardown!(context))
          .then(
            () => 'done' as const,
            (err: unknown) => {
              logger.error({ err, plugin: plugin.name }, 'plugin teardown failed');
              return 'failed' as const;
            },
          ),
        new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), Math.max(0, deadline - Date.now()));
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (outcome === 'timeout') logger.warn({ plugin: plugin.name, budgetMs }, 'plugin teardown ran out of time');
    }
  }

  get refundSteps(): RefundStep[] {
    return this.plugins.flatMap((p) => p.refundSteps ?? []);
  }

  get customerDataHooks(): { plugin: string; hook: CustomerDataHook }[] {
    return this.plugins.flatMap((p) => (p.customerData ? [{ plugin: p.name, hook: p.customerData }] : []));
  }

  get mergeSteps(): CustomerMergeStep[] {
    return this.plugins.flatMap((p) => (p.onCustomerMerge ? [p.onCustomerMerge] : []));
  }

  get importKinds(): AnyImportKind[] {
    return this.plugins.flatMap((p) => p.importKinds ?? []);
  }

  /** Core's scheduled jobs (the daily sales summary) and the plugins'. */
  get jobs(): ScheduledJob[] {
    return [...CORE_JOBS, ...this.plugins.flatMap((p) => p.jobs ?? [])];
  }

  get migrationDirs(): string[] {
    return this.plugins.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : []));
  }

  /** Runs one job now (or for another moment); used by the scheduler and by runScheduledJob. */
  async runJob(name: string, now = new Date()): Promise<{ processed: number }> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new PluginConfigError(`No installed plugin defines the job "${name}".`);
    if (!this.context) throw new PluginConfigError('Plugins have not been started.');
    const context = this.context;
    return this.observeJob(name, () => job.run(context, now));
  }
}

/** A cron expression a plugin's options carry, checked when the plugin is built. */
export function assertCron(what: string, cron: string) {
  try {
    if (cron.trim()?.split(/\s+/).length !== 5) throw new Error('five fields expected (minute hour day month weekday)');
    CronExpressionParser.parse(cron);
  } catch (error) {
    throw new PluginConfigError(
      `Schedule of "${what}" is not a cron expression: "${cron}" (${(error as Error).message}).`,
    );
  }
}

/**
 * Orders plugins so that each comes after what it depends on and what it says it runs after (or
 * what says it runs before it); among plugins free to go next, the first by name. The order of
 * the configuration list never counts, so reordering that file changes nothing.
 */
function orderByDependencies(plugins: StorePlugin[]): StorePlugin[] {
  const byName = new Map<string, StorePlugin>();
  for (const p of plugins) {
    if (byName.has(p.name)) throw new PluginConfigError(`Plugin "${p.name}" is installed twice.`);
    byName.set(p.name, p);
  }
  // after.get(x): the plugins that must come before x.
  const after = new Map<string, Set<string>>([...byName.keys()].map((n) => [n, new Set<string>()]));
  for (const p of plugins) {
    for (const dep of p.dependsOn ?? []) {
      if (!byName.has(dep))
        throw new PluginConfigError(`Plugin "${p.name}" needs plugin "${dep}", which is not installed.`);
      after.get(p.name)!.add(dep);
    }
    for (const other of p.runsAfter ?? []) if (byName.has(other)) after.get(p.name)!.add(other);
    for (const other of p.runsBefore ?? []) if (byName.has(other)) after.get(other)!.add(p.name);
  }
  const ordered: StorePlugin[] = [];
  const placed = new Set<string>();
  while (ordered.length < byName.size) {
    const next = [...byName.keys()]
      .filter((n) => !placed.has(n) && [...after.get(n)!].every((m) => placed.has(m)))
      .sort()[0];
    if (!next) {
      const stuck = [...byName.keys()].filter((n) => !placed.has(n)).sort();
      throw new PluginConfigError(
        `Plugins depend on each other or are ordered in a circle: ${stuck
          .map((n) => `${n} (after ${[...after.get(n)!].filter((m) => !placed.has(m)).join(', ')})`)
          .join('; ')}.`,
      );
    }
    placed.add(next);
    ordered.push(byName.get(next)!);
  }
  return ordered;
}

/** Each plugin's permissions, checked: named after the plugin, declared once, valid roles and scope. */
function pluginPermissions(plugins: readonly StorePlugin[]): (PermissionDeclaration & { plugin: string })[] {
  const owner = new Map<string, string>(CORE_PERMISSIONS.map((p) => [p.name, 'core']));
  const declared: (PermissionDeclaration & { plugin: string })[] = [];
  for (const plugin of plugins) {
    for (const permission of plugin.permissions ?? []) {
      const { name } = permission;
      const taken = owner.get(name);
      if (taken)
        throw new PluginConfigError(
          `Plugin "${plugin.name}" declares the permission "${name}", which ${
            taken === 'core' ? 'core declares' : `plugin "${taken}" declares`
          }.`,
        );
      if (!name.startsWith(`${plugin.name}:`) || !/^[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)+$/.test(name))
        throw new PluginConfigError(
          `Plugin "${plugin.name}" declares the permission "${name}": a plugin's permissions are named ` +
            `"${plugin.name}:<action>" (lower-case letters, digits, dashes).`,
        );
      if (!['store', 'shared', 'chain'].includes(permission.scope))
        throw new PluginConfigError(
          `Permission "${name}" has the scope "${permission.scope}": store, shared or chain.`,
        );
      const unknown = permission.roles.find((r) => !ROLES.has(r));
      if (unknown) throw new PluginConfigError(`Permission "${name}" is granted to "${unknown}", which is no role.`);
      owner.set(name, plugin.name);
      declared.push({ ...permission, plugin: plugin.name });
    }
  }
  return declared;
}

/** Each plugin's tenders, checked: a code of their own, not core's or another plugin's. */
function pluginTenders(plugins: readonly StorePlugin[]): (TenderDeclaration & { plugin: string })[] {
  const owner = new Map<string, string>([...CORE_TENDER_CODES].map((c) => [c, 'core']));
  const tenders: (TenderDeclaration & { plugin: string })[] = [];
  for (const plugin of plugins) {
    for (const tender of plugin.tenders ?? []) {
      const taken = owner.get(tender.code);
      if (taken)
        throw new PluginConfigError(
          `Plugin "${plugin.name}" declares the tender "${tender.code}", which ${
            taken === 'core' ? 'core settles' : `plugin "${taken}" declares`
          }.`,
        );
      if (!TENDER_CODE.test(tender.code))
        throw new PluginConfigError(
          `Tender "${tender.code}" of plugin "${plugin.name}": 2–40 upper-case letters, digits or _, from a letter.`,
        );
      if (!tender.label?.['zh-CN'] || !tender.label.en)
        throw new PluginConfigError(
          `Tender "${tender.code}" of plugin "${plugin.name}" needs a label in zh-CN and en.`,
        );
      if (!plugin.saleSteps?.length)
        throw new PluginConfigError(
          `Plugin "${plugin.name}" declares the tender "${tender.code}" but no sale step to settle it.`,
        );
      owner.set(tender.code, plugin.name);
      tenders.push({ ...tender, plugin: plugin.name });
    }
  }
  return tenders;
}

/**
 * A plugin's routes live under /plugins/<its name>, so no two plugins, and no route core adds
 * later, can take each other's paths.
 */
function checkRoute(plugin: string, route: HttpRoute) {
  const base = `/plugins/${plugin}`;
  const at = route.path ?? route.prefix;
  if (!at || (route.path !== undefined && route.prefix !== undefined))
    throw new PluginConfigError(`A route of plugin "${plugin}" needs a path or a prefix (one of them).`);
  if (at !== base && !at.startsWith(`${base}/`))
    throw new PluginConfigError(`Route "${at}" of plugin "${plugin}" must lie under ${base}/.`);
  if (!['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', '*'].includes(route.method))
    throw new PluginConfigError(`Route "${at}" of plugin "${plugin}" has the method "${route.method}".`);
}
