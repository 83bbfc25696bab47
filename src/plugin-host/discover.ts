import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The configuration file of the installed plugins: STORE_CONFIG, else plugins/config.ts. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../plugins/config.ts', import.meta.url));

/** Where `npm run prisma:generate` assembles core's and the plugins' schema files. */
export const ASSEMBLED_SCHEMA_DIR = fileURLToPath(new URL('../generated/prisma-schema/', import.meta.url));

/** The first line of a plugin's schema file in the assembled folder; the plugin's text follows it. */
export const ASSEMBLED_HEADER = (from: string) => `// From ${from}; do not edit here.\n`;

// Node 22.14+ (package.json's engines); the types installed are Node 20's.
const findPackageJSON = (nodeModule as unknown as { findPackageJSON(spec: string, base: string): string | undefined })
  .findPackageJSON;

/**
 * The Prisma schema files of the plugins a configuration installs, found without running it
 * (the generated client it would import may not exist yet, on a fresh clone): each module the
 * file imports (not `import type`) is a plugin's home, its folder for a path or its package's
 * root for a package name, and a home's models are the `schema.prisma` there (or the file its
 * package.json names in `"storecrm": { "prismaSchema": … }`). Start-up checks what plugins
 * declare (`StorePlugin.prismaSchema`) against what was generated, so a miss is never silent.
 */
export function configuredSchemas(configPath: string): string[] {
  const config = resolve(configPath);
  const text = readFileSync(config, 'utf8');
  const specifiers = [...text.matchAll(/^\s*import\s+(?!type\b)[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  const schemas = new Set<string>();
  for (const spec of specifiers) {
    let home: string;
    if (spec.startsWith('.') || spec.startsWith('/')) home = dirname(resolve(dirname(config), spec));
    else {
      if (spec.startsWith('node:')) continue;
      let pkg: string | undefined;
      try {
        pkg = findPackageJSON(spec, pathToFileURL(config).href);
      } catch {
        pkg = undefined;
      }
      if (!pkg) continue;
      home = dirname(pkg);
      const declared = (JSON.parse(readFileSync(pkg, 'utf8')) as { storecrm?: { prismaSchema?: string } }).storecrm
        ?.prismaSchema;
      if (declared) {
        schemas.add(resolve(home, declared));
        continue;
      }
    }
    const file = join(home, 'schema.prisma');
    if (existsSync(file)) schemas.add(file);
  }
  return [...schemas];
}

/** Whether `schemaPath`'s models, as they are now, are in the generated client. */
export function isGenerated(schemaPath: string, dir: string = ASSEMBLED_SCHEMA_DIR): boolean {
  if (!existsSync(schemaPath) || !existsSync(dir)) return false;
  const text = readFileSync(schemaPath, 'utf8');
  return readdirSync(dir)
    .filter((f) => f.startsWith('plugin-'))
    .some((f) => {
      const assembled = readFileSync(join(dir, f), 'utf8');
      return assembled.slice(assembled.indexOf('\n') + 1) === text;
    });
}

/** A file name in the assembled folder for a plugin's schema: its home folder's (or package's) name. */
export function assembledName(schemaPath: string, taken: Set<string>): string {
  const base = basename(dirname(schemaPath)).replace(/[^\w-]/g, '_');
  let name = `plugin-${base}.prisma`;
  for (let i = 2; taken.has(name); i++) name = `plugin-${base}-${i}.prisma`;
  taken.add(name);
  return name;
}
