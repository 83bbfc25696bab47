import { PluginConfigError } from './errors.ts';

/**
 * How plugins use each other without importing each other's code: a plugin provides a named
 * service in its setup; a plugin that declared it in `dependsOn` gets it by name.
 */
export class ServiceRegistry {
  private readonly services = new Map<string, unknown>();

  provide<T>(name: string, service: T): void {
    if (this.services.has(name)) throw new PluginConfigError(`The service "${name}" is provided twice.`);
    this.services.set(name, service);
  }

  get<T>(name: string): T {
    if (!this.services.has(name)) throw new PluginConfigError(`No installed plugin provides the service "${name}".`);
    return this.services.get(name) as T;
  }

  find<T>(name: string): T | undefined {
    return this.services.get(name) as T | undefined;
  }
}
