import type { CustomerMergeStep } from '../customers/service.ts';
import type { CustomerDataHook } from '../privacy/service.ts';
import type { Db } from '../db/tx.ts';
import type { EventBus } from '../events/bus.ts';
import type { DomainEvents, EventType } from '../events/domain-events.ts';
import type { Logger } from '../logger.ts';
import type { RefundStep } from '../sales/refund-pipeline.ts';
import type { SaleStep } from '../sales/pipeline.ts';
import type { Builder, BuilderTypes } from '../schema/builder.ts';
import type { InputFieldRef } from '@pothos/core';

/** The builder a plugin's `saleInputs` receives: `t.string()`, `t.stringList()`, `t.field({ type })`… */
export type SaleInputFieldBuilder = PothosSchemaTypes.InputFieldBuilder<BuilderTypes, 'InputObject'>;
import type { AnyImportKind } from '../imports/kind.ts';
import { CronExpressionParser } from 'cron-parser';
import { PluginConfigError } from './errors.ts';
import { CalendarService } from '../calendar/service.ts';
import { ServiceRegistry } from './services.ts';

export { PluginConfigError };

/** What a plugin's setup and jobs receive from the running API. */
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

/** The installed plugins, ordered so that each comes after what it depends on. */
export class PluginHost {
  readonly plugins: readonly StorePlugin[];
  readonly services = new ServiceRegistry();
  /** Wraps every job run (metrics); set by the app. */
  observeJob: <T>(name: string, run: () => Promise<T>) => Promise<T> = (_name, run) => run();
  private context: PluginContext | null = null;

  constructor(plugins: StorePlugin[]) {
    this.plugins = orderByDependencies(plugins);
    // Core's own services, which plugins take by name like each other's (docs/calendar.md).
    this.services.provide('calendar', new CalendarService());
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

  get saleSteps(): SaleStep[] {
    return this.plugins.flatMap((p) => p.saleSteps ?? []);
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

  get jobs(): ScheduledJob[] {
    return this.plugins.flatMap((p) => p.jobs ?? []);
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
