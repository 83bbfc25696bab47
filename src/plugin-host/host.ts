import type { Builder } from '../schema/builder.ts';
import type { EventBus } from '../events/bus.ts';
import type { DomainEvents, EventType } from '../events/types.ts';
import type { SaleDraft, SaleStep } from '../sales/pipeline.ts';

/**
 * An installable plugin. Everything is optional except the name; core calls each hook at a
 * documented point (docs/architecture.md, "Plugins").
 */
export interface StorePlugin {
  name: string;
  /** Names of plugins that must be installed and set up before this one. */
  dependsOn?: string[];
  /** Folder of SQL migrations in Prisma's layout, applied after core's. */
  migrationsDir?: string;
  /** Adds types and fields (also on core types such as Customer and Sale). */
  schema?: (builder: Builder) => void;
  /** Handlers for committed events, run in the process that committed them. */
  events?: { [K in EventType]?: (payload: DomainEvents[K]) => void | Promise<void> };
  /** Steps in the sale pipeline, run inside the sale's transaction in plugin order. */
  saleSteps?: SaleStep[];
}

export function definePlugin<P extends StorePlugin>(plugin: P): P {
  return plugin;
}

export class PluginConfigError extends Error {}

/** The installed plugins, ordered so that each comes after what it depends on. */
export class PluginHost {
  readonly plugins: readonly StorePlugin[];

  constructor(plugins: StorePlugin[]) {
    this.plugins = orderByDependencies(plugins);
  }

  addSchema(builder: Builder) {
    for (const plugin of this.plugins) plugin.schema?.(builder);
  }

  attachEvents(bus: EventBus) {
    for (const plugin of this.plugins) {
      for (const [type, handler] of Object.entries(plugin.events ?? {})) {
        bus.on(type as EventType, handler as (p: unknown) => void);
      }
    }
  }

  get saleSteps(): SaleStep[] {
    return this.plugins.flatMap((p) => p.saleSteps ?? []);
  }

  get migrationDirs(): string[] {
    return this.plugins.flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : []));
  }
}

function orderByDependencies(plugins: StorePlugin[]): StorePlugin[] {
  const byName = new Map<string, StorePlugin>();
  for (const p of plugins) {
    if (byName.has(p.name)) throw new PluginConfigError(`Plugin "${p.name}" is installed twice.`);
    byName.set(p.name, p);
  }
  const ordered: StorePlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: StorePlugin, chain: string[]) => {
    if (state.get(p.name) === 'done') return;
    if (state.get(p.name) === 'visiting') {
      throw new PluginConfigError(`Plugins depend on each other in a circle: ${[...chain, p.name].join(' → ')}.`);
    }
    state.set(p.name, 'visiting');
    for (const dep of p.dependsOn ?? []) {
      const target = byName.get(dep);
      if (!target) throw new PluginConfigError(`Plugin "${p.name}" needs plugin "${dep}", which is not installed.`);
      visit(target, [...chain, p.name]);
    }
    state.set(p.name, 'done');
    ordered.push(p);
  };
  for (const p of plugins) visit(p, []);
  return ordered;
}
