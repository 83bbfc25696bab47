// The production build: `npm start` runs dist/main.js with plain `node`, no TypeScript
// transpiler at run time (tsx costs every start about half a second and 20 MiB for as long as
// the process lives). Run by `npm install` (postinstall), `npm run build`, and by `npm start`
// (src/cli/start.mjs), which rebuilds only when a compiled source changed since or STORE_CONFIG
// names another file. Development and tests keep running the TypeScript sources with tsx.
//
// One esbuild bundle of src/main.ts and the plugin configuration (STORE_CONFIG, else
// plugins/config.ts), npm packages left to node_modules, split into chunks: a module core and
// the plugins share exists once, and what is imported dynamically (the import and export
// machinery, PGlite's adapter…) is a chunk of its own, loaded on first use. A bundle rather than
// a per-file transpile: the sources import each other as `.ts`, which a per-file transpile would
// have to rewrite, and a few files start faster than some 200 modules resolved one by one.
//
// Files read at run time are found from `import.meta.url` (migrations, Prisma schema files, the
// embedded template, plugins' migrations): in the project's own modules it is rewritten to the
// URL of the source file, so that they resolve from the source tree as they do under tsx.
//
// Plain JavaScript, so that running it needs nothing but node and esbuild.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(root, 'dist');
const manifestPath = join(DIST, 'build.json');

/**
 * Builds dist/ (or, with `ifStale`, only when it is missing or older than one of its sources).
 * The configuration compiled is STORE_CONFIG's, else plugins/config.ts.
 */
export async function build({ ifStale = false } = {}) {
  const config = resolve(process.env.STORE_CONFIG || join(root, 'plugins/config.ts'));
  // The configuration as the compiled code names it: relative to the checkout, which may move.
  const configName = relative(root, config).split(sep).join('/');
  if (ifStale && upToDate(configName)) return;

  const started = Date.now();
  const esbuild = await import('esbuild');
  mkdirSync(DIST, { recursive: true });
  const wasm = extractQueryCompiler();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: 'src/main.ts', plugins: config },
    outdir: DIST,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    // Whitespace only: V8 keeps every module's source text in memory; names stay for stack
    // traces, and the source maps (node --enable-source-maps) lead back to the TypeScript.
    minifyWhitespace: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // src/plugin-host/config.ts loads the compiled configuration instead of the file by path.
    define: { COMPILED_STORE_CONFIG: JSON.stringify(configName) },
    plugins: [wasm.plugin, sourceUrls()],
  });

  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules'));
  const outputs = [...Object.keys(result.metafile.outputs).map((f) => relative(DIST, resolve(root, f))), wasm.file];
  // Chunks carry a hash in their name. A process started from the previous build may still load
  // one of its chunks on first use, so those stay; older ones go.
  const previous = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')).outputs ?? []) : [];
  const keep = new Set([...outputs, ...previous, 'build.json']);
  for (const file of readdirSync(DIST)) if (!keep.has(file)) rmSync(join(DIST, file), { force: true });
  const manifest = { config: configName, builtAt: started, inputs, outputs };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  await esbuild.stop();
  console.error(`store-crm: compiled ${inputs.length} files into dist/ in ${Date.now() - started} ms`);
}

/** True when dist/ was built from the same configuration and no input changed since. */
function upToDate(configName) {
  if (!existsSync(manifestPath) || !existsSync(join(DIST, 'main.js'))) return false;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.config !== configName) return false;
  for (const input of manifest.inputs) {
    try {
      if (statSync(join(root, input)).mtimeMs > manifest.builtAt) return false;
    } catch {
      return false; // removed or renamed: rebuild (and let esbuild report what is missing)
    }
  }
  return true;
}

/**
 * Rewrites `import.meta.url` in the project's own modules to the URL of their source file. Every
 * output file lies directly in dist/, so the source is one folder up, then its path from the
 * checkout's root, wherever the checkout is.
 */
function sourceUrls() {
  return {
    name: 'source-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
        const fromRoot = relative(root, args.path).split(sep).join('/');
        const url = `new URL(${JSON.stringify(`../${fromRoot}`)}, import.meta.url).href`;
        return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

/**
 * Prisma's generated client loads its query compiler (WebAssembly) from a module holding it as
 * a 4.5 MB base64 string, which then stays in the heap twice (the module's source and the
 * string) for the life of the process. The build writes the binary next to the bundle and
 * the client reads it from there instead. Should Prisma's generated code change shape, the
 * build says so and keeps Prisma's own loader.
 */
function extractQueryCompiler() {
  const specifier = /"(@prisma\/client\/runtime\/query_compiler_\w+_bg\.postgresql\.wasm-base64\.mjs)"/;
  const file = 'query-compiler.wasm';
  const plugin = {
    name: 'prisma-query-compiler-file',
    setup(build) {
      build.onLoad({ filter: /generated[\\/]prisma[\\/]internal[\\/]class\.ts$/ }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        const loader = /const \{ wasm \} = await import\((".+?")\)\s*return await decodeBase64AsWasm\(wasm\)/;
        const found = loader.exec(text);
        if (!found || !specifier.test(found[1])) {
          console.warn("store-crm build: Prisma's query compiler loader not recognised; left as generated");
          return { contents: text, loader: 'ts' };
        }
        const module = await import(JSON.parse(found[1]));
        writeFileSync(join(DIST, file), Buffer.from(module.wasm, 'base64'));
        const replacement =
          `const { readFile } = await import('node:fs/promises');\n` +
          `    return new WebAssembly.Module(await readFile(new URL('./${file}', import.meta.url)))`;
        return { contents: text.replace(loader, replacement), loader: 'ts' };
      });
    },
  };
  return { plugin, file };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await build({ ifStale: process.argv.includes('--if-stale') });
}
