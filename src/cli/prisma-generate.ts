// Generates the Prisma client and Pothos types from core's schema plus every plugin's models.
//
// Prisma reads one schema folder, but a plugin keeps its models in its own folder
// (plugins/<name>/schema.prisma). So this assembles core's and each plugin's schema files into
// src/generated/prisma-schema/ and runs `prisma generate` on that folder. Every plugin present is
// included, installed or not: the client knows their models, and their tables exist only once
// the plugin is installed and its migrations have run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const coreDir = join(root, 'prisma');
const outDir = join(root, 'src/generated/prisma-schema');

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

// Generator outputs are relative to the schema file: re-anchor them to the assembled folder.
const core = readFileSync(join(coreDir, 'schema.prisma'), 'utf8').replace(
  /^(\s*output\s*=\s*")([^"]+)(")/gm,
  (_, before: string, path: string, after: string) => `${before}${relative(outDir, resolve(coreDir, path))}${after}`,
);
writeFileSync(join(outDir, 'schema.prisma'), core);

const pluginsDir = join(root, 'plugins');
const included: string[] = [];
for (const entry of existsSync(pluginsDir) ? readdirSync(pluginsDir, { withFileTypes: true }) : []) {
  const file = join(pluginsDir, entry.name, 'schema.prisma');
  if (!entry.isDirectory() || !existsSync(file)) continue;
  const text = readFileSync(file, 'utf8');
  if (/^\s*(generator|datasource)\s/m.test(text)) {
    throw new Error(
      `${relative(root, file)}: a plugin's schema holds models and enums only (no generator or datasource).`,
    );
  }
  writeFileSync(
    join(outDir, `plugin-${entry.name}.prisma`),
    `// From plugins/${entry.name}/schema.prisma; do not edit here.\n${text}`,
  );
  included.push(entry.name);
}

execFileSync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', outDir], {
  cwd: root,
  stdio: 'inherit',
  // Generation never needs the schema engine; without this the CLI would try to download it.
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false' },
});
process.stdout.write(`Prisma schema: core${included.length ? ` + ${included.join(', ')}` : ''}\n`);
