import { printSchema } from 'graphql';
import { PluginHost } from '../plugin-host/host.ts';
import { loadInstalledPlugins } from '../plugin-host/config.ts';
import { buildSchema } from './index.ts';

/** The SDL as published in schema/schema.graphql: core plus the plugins of plugins/config.ts. */
export async function printSchemaSdl(): Promise<string> {
  return `${printSchema(buildSchema(new PluginHost(await loadInstalledPlugins())))}\n`;
}
