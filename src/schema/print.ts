import { printSchema } from 'graphql';
import { PluginHost } from '../plugin-host/host.ts';
import { installedPlugins } from '../plugins.config.ts';
import { buildSchema } from './index.ts';

/** The SDL as published in schema/schema.graphql. */
export function printSchemaSdl(): string {
  return `${printSchema(buildSchema(new PluginHost(installedPlugins())))}\n`;
}
