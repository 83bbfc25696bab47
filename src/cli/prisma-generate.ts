// Generates the Prisma client and Pothos types from core's schema plus the installed plugins' models.
//
// Prisma reads one schema folder, but a plugin keeps its models in its own schema file (in its
// folder, or in its npm package). So this assembles core's schema and each configured plugin's
// into src/generated/prisma-schema/ and runs `prisma generate` on that folder. The plugins are
// those of the configuration (STORE_CONFIG, else plugins/config.ts), not whatever lies in a folder:
// first found from the configuration's imports without running it (on a fresh clone the client its
// plugins import does not exist yet), then, once a client exists, checked against what the
// configured plugins declare (`StorePlugin.prismaSchema`), generating again if one was missed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ASSEMBLED_HEADER,
  ASSEMBLED_SCHEMA_DIR,
  assembledName,
  configuredSchemas,
  DEFAULT_CONFIG,
} from '../plugin-host/discover.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const coreDir = join(root, 'prisma');
const outDir = ASSEMBLED_SCHEMA_DIR;
const configPath = resolve(process.env.STORE_CONFIG || DEFAULT_CONFIG);

function generate(schemas: string[]) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // Generator outputs are relative to the schema file: re-anchor them to the assembled folder.
  const core = readFileSync(join(coreDir, 'schema.prisma'), 'utf8').replace(
    /^(\s*output\s*=\s*")([^"]+)(")/gm,
    (_, before: string, path: string, after: string) => `${before}${relative(outDir, resolve(coreDir, path))}${after}`,
  );
  writeFileSync(join(outDir, 'schema.prisma'), core);
  const taken = new Set<string>();
  for (const file of schemas) {
    const text = readFileSync(file, 'utf8');
    if (/^\s*(generator|datasource)\s/m.test(text)) {
      throw new Error(
        `${relative(root, file)}: a plugin's schema holds models and enums only (no generator or datasource).`,
      );
    }
    writeFileSync(join(outDir, assembledName(file, taken)), `${ASSEMBLED_HEADER(relative(root, file))}${text}`);
  }
  execFileSync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', outDir], {
    cwd: root,
    stdio: 'inherit',
    // Generation never needs the schema engine; without this the CLI would try to download it.
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false' },
  });
}

const found = configuredSchemas(configPath);
generate(found);

// Now that a client exists, the configuration can run: what its plugins declare is the truth.
let declared: string[] = [];
try {
  const { loadInstalledPlugins } = await import('../plugin-host/config.ts');
  declared = (await loadInstalledPlugins(configPath)).flatMap((p) => (p.prismaSchema ? [resolve(p.prismaSchema)] : []));
} catch (error) {
  process.stderr.write(
    `${relative(root, configPath)} could not be loaded to check its plugins' models ` +
      `(${(error as Error).message}); generated from its imports.\n`,
  );
}
const missed = declared.filter((f) => !found.includes(f));
if (missed.length) generate([...found, ...missed]);
const all = [...found, ...missed];
process.stdout.write(
  `Prisma schema: core${all.length ? ` + ${all.map((f) => relative(root, dirname(f)) || f).join(', ')}` : ''}` +
    ` (from ${relative(root, configPath)})\n`,
);
