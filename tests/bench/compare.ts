import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Size } from './options.ts';
import { ROOT } from './server.ts';

/**
 * `--compare=<git ref>`: another commit of this repository checked out beside this one, with its
 * own benchmark database filled by its own data generator (its migrations may differ), so the same
 * scenarios can load both builds in one run. Comparing two runs made at different times on a
 * shared machine says more about the machine than about the change.
 */
export interface CompareTree {
  /** The short commit hash, which labels its rows in the results. */
  commit: string;
  dir: string;
  remove(): void;
}

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 })
    .toString()
    .trim();

export function checkoutCompareTree(ref: string, log: (line: string) => void): CompareTree {
  const commit = run('git', ['rev-parse', '--short', `${ref}^{commit}`], ROOT);
  const dir = join(tmpdir(), `storecrm-bench-compare-${commit}`);
  if (existsSync(dir)) {
    // Left by a run that was interrupted: start from a clean checkout.
    run('git', ['worktree', 'remove', '--force', dir], ROOT);
  }
  run('git', ['worktree', 'add', '--detach', dir, commit], ROOT);
  const remove = () => {
    try {
      run('git', ['worktree', 'remove', '--force', dir], ROOT);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const sameLock = run('git', ['diff', '--name-only', commit, '--', 'package-lock.json'], ROOT) === '';
    if (sameLock) {
      // Same dependency tree: share this checkout's installed packages.
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      log(
        `compare: ${commit} checked out in ${dir} (same lock file: node_modules shared); generating its Prisma client`,
      );
      run('npm', ['run', 'prisma:generate'], dir);
      if (existsSync(join(dir, 'src/cli/embedded-template.ts'))) {
        run(process.execPath, ['--import', 'tsx', 'src/cli/embedded-template.ts'], dir);
      }
    } else {
      // npm install rather than npm ci: an older commit's lock may predate what the registry serves now.
      log(`compare: ${commit} checked out in ${dir}; its lock file differs: npm install there (about a minute)`);
      run('npm', ['install', '--no-audit', '--no-fund'], dir);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { commit, dir, remove };
}

interface DatasetModule {
  createDatabase(serverUrl: string): Promise<string>;
  databaseUrl(serverUrl: string, name: string): string;
  dropDatabase(serverUrl: string, name: string): Promise<void>;
  migrate(url: string): Promise<void>;
  generateDataset(url: string, size: Size, now: Date, log: (line: string) => void): Promise<{ seconds: number }>;
}

/** A database for the other commit, migrated and filled by that commit's own code. */
export async function prepareCompareDatabase(
  tree: CompareTree,
  serverUrl: string,
  size: Size,
  now: Date,
  log: (line: string) => void,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const dataset = (await import(pathToFileURL(join(tree.dir, 'tests/bench/dataset.ts')).href)) as DatasetModule;
  const name = await dataset.createDatabase(serverUrl);
  const url = dataset.databaseUrl(serverUrl, name);
  const drop = () => dataset.dropDatabase(serverUrl, name);
  try {
    log(`compare: database ${name} for ${tree.commit}: migrating and generating with its own code`);
    await dataset.migrate(url);
    const generation = await dataset.generateDataset(url, size, now, (line) => log(`compare: ${line}`));
    log(`compare: data for ${tree.commit} generated in ${generation.seconds.toFixed(1)} s`);
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return { name, url, drop };
}
