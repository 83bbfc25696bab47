import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MARK = 'BENCH-RESULT ';

/**
 * Runs a load worker in a process of its own, so the load never shares an event loop (or a core's
 * time slice) with what it measures. Its configuration goes in a JSON file, its result comes
 * back as one marked JSON line on stdout.
 */
export async function runWorker<T>(script: string, config: unknown, timeoutMs = 30 * 60_000): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'storecrm-bench-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  try {
    return await new Promise<T>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), file], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-10_000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', (code) => {
        clearTimeout(timer);
        const line = out.split('\n').find((l) => l.startsWith(MARK));
        if (code === 0 && line) resolve(JSON.parse(line.slice(MARK.length)) as T);
        else reject(new Error(`worker ${script} exited with ${code}:\n${err || out.slice(-5_000)}`));
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** In a worker: its configuration. */
export function workerConfig<T>(): T {
  return JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as T;
}

/** In a worker: hands the result to the harness. */
export function report(result: unknown) {
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`);
}

/** How long a load run lasts: a number of seconds (after a warm-up), or a number of requests. */
export interface RunLength {
  warmupSeconds: number;
  durationSeconds: number;
  /** When set, the run sends this many requests (after one per connection to warm up) and ignores the seconds. */
  requests: number | null;
}
