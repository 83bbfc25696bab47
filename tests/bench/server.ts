import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DATA_KEY } from './fixtures.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface ApiServer {
  url: string;
  pid: number;
  /** Resident memory of the API process and its children (cluster workers), in bytes. */
  rss(): number;
  /** Samples rss() every 50 ms until `stop`, which returns the highest value seen (bytes). */
  watchRss(): { stop(): number };
  /** CPU time (user + system) the API process and its children have used, in seconds. */
  cpuSeconds(): number;
  /** Current value of a Prometheus sample from /metrics (0 when absent). */
  metric(name: string): Promise<number>;
  /**
   * Resolves once the process sends no SQL for half a second: requests still in flight when a
   * load run stopped have finished, and counting statements per request can start.
   */
  settle(): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  databaseUrl: string;
  /** The checkout to run (default this one; another with --compare). */
  root?: string;
  jwtSecret: string;
  /** Sets WEB_CONCURRENCY. */
  processes?: number | null;
  /** Write a V8 CPU profile of every API process into this folder when it exits. */
  cpuProfileDir?: string | null;
  env?: Record<string, string>;
}

/** The token /metrics of a benchmarked server asks for (workers scraping it send it too). */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789';

/**
 * Starts the API as production runs it: `npm start`'s src/cli/start.mjs (which compiles dist/ if a
 * source changed, then becomes `node dist/main.js`, same pid) with NODE_ENV=production,
 * no demo data, warnings only, SQL statements counted in /metrics. It listens on a free port chosen here, and is ready
 * when /readyz answers 200 (the "store-crm API ready" line is an info line, which LOG_LEVEL=warn leaves out).
 * The rest of the environment (REDIS_URL, …) passes through.
 */
export async function startServer(options: ServerOptions, timeoutMs = 120_000): Promise<ApiServer> {
  const port = await freePort();
  // --cpu-prof is refused in NODE_OPTIONS; as a flag it is also in process.execArgv, which cluster workers inherit.
  const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const root = options.root ?? ROOT;
  // A checkout from before the build step (--compare with an older commit) ran its sources with tsx.
  const entry = existsSync(join(root, 'src/cli/start.mjs'))
    ? ['src/cli/start.mjs']
    : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, [...profile, ...entry], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: options.databaseUrl,
      DEMO_DATA: 'off',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: options.jwtSecret,
      // The key the data generator encrypted the customers with (a build before encryption ignores it).
      DATA_ENCRYPTION_KEY: BENCH_DATA_KEY,
      // Statements per request are read from /metrics; the count costs an event per statement.
      DB_STATEMENT_METRICS: 'on',
      // Production keeps /metrics behind a token (docs/security.md).
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      // One POS key sends every sale of a load run: the per-caller limit stays on (its cost is
      // measured) but far above what a run sends.
      RATE_LIMIT_PER_MINUTE: '100000000',
      ...(options.processes ? { WEB_CONCURRENCY: String(options.processes) } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(child, url, timeoutMs, () => out);
  const metric = async (name: string) => {
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` } })
    ).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return {
    url,
    pid: child.pid!,
    rss: () => treeRss(child.pid!),
    watchRss: () => {
      let peak = treeRss(child.pid!);
      const timer = setInterval(() => (peak = Math.max(peak, treeRss(child.pid!))), 50);
      return {
        stop: () => {
          clearInterval(timer);
          return Math.max(peak, treeRss(child.pid!));
        },
      };
    },
    cpuSeconds: () => treeCpuSeconds(child.pid!),
    metric,
    settle: async () => {
      const deadline = Date.now() + 60_000;
      let last = await metric('storecrm_db_statements_total');
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        const now = await metric('storecrm_db_statements_total');
        if (now === last) return;
        last = now;
      }
    },
    output: () => out,
    stop: () => stopProcess(child),
  };
}

async function waitUntilReady(child: ChildProcess, url: string, timeoutMs: number, output: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`API process exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`API process not ready within ${timeoutMs} ms:\n${output()}`);
}

/** SIGTERM (the API shuts down cleanly, which also writes CPU profiles), SIGKILL after 15 s. */
export function stopProcess(child: ChildProcess, signalGroup = false): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (signalGroup) process.kill(-child.pid!, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => kill('SIGKILL'), 15_000);
    child.once('exit', async () => {
      // A group's other members (npm's child, the API) may outlive its leader: wait for them too.
      while (signalGroup && groupAlive(child.pid!)) await new Promise((r) => setTimeout(r, 50));
      clearTimeout(timer);
      resolve();
    });
    kill('SIGTERM');
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A process and all its descendants, from /proc (Linux). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.pop()!;
    tree.push(p);
    queue.push(...(parents.get(p) ?? []));
  }
  return tree;
}

function sumOver(pid: number, read: (p: number) => number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      total += read(p);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** VmRSS of a process and its descendants, in bytes. */
export function treeRss(pid: number): number {
  return sumOver(
    pid,
    (p) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024,
  );
}

/** User + system CPU time of a process and its descendants, in seconds (clock ticks of 1/100 s). */
export function treeCpuSeconds(pid: number): number {
  return sumOver(pid, (p) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15 of stat)
  });
}
