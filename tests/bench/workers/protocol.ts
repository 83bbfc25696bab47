import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Latencies } from '../stats.ts';

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
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), file],
        {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
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

export type LoadLength = { seconds: number } | { requests: number };

/**
 * In a worker: a warm-up run, then the measured run whose result goes to the harness. With a
 * number of requests (CI's tiny runs), the warm-up is one request per connection.
 */
export async function warmUpThenReport<T>(
  config: RunLength & { connections: number },
  run: (length: LoadLength) => Promise<T>,
) {
  if (config.requests) {
    await run({ requests: config.connections });
    report(await run({ requests: config.requests }));
  } else {
    if (config.warmupSeconds > 0) await run({ seconds: config.warmupSeconds });
    report(await run({ seconds: config.durationSeconds }));
  }
}

/**
 * A closed-loop load: `connections` loops, each sending its next request as soon as the last is
 * answered, until the time or the number of requests is used up. A request that throws counts
 * as an error (its message kept as a sample).
 */
export async function closedLoop<C>(options: {
  connections: number;
  length: LoadLength;
  /** A connection of each loop's own, released at the end (the pool's when absent). */
  connect?: () => Promise<C & { release(): void }>;
  request: (connection: C | undefined) => Promise<void>;
}) {
  const latencies = new Latencies();
  let ok = 0;
  let errors = 0;
  const samples: string[] = [];
  const started = performance.now();
  const deadline = 'seconds' in options.length ? started + options.length.seconds * 1000 : Infinity;
  let left = 'requests' in options.length ? options.length.requests : Infinity;
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      const connection = options.connect ? await options.connect() : undefined;
      try {
        while (performance.now() < deadline && left-- > 0) {
          const t0 = performance.now();
          try {
            await options.request(connection);
            ok += 1;
          } catch (error) {
            errors += 1;
            if (samples.length < 5) samples.push((error as Error).message);
          }
          latencies.record(performance.now() - t0);
        }
      } finally {
        connection?.release();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    requests: ok + errors,
    ok,
    errors,
    errorSamples: samples,
    seconds,
    okPerSecond: ok / seconds,
    latency: latencies.summary(),
  };
}
