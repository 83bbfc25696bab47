import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Servers of a fault test's own, on spare ports, that it may kill and restart: the machine's
 * shared PostgreSQL and Redis are never touched.
 */

/** A TCP port nobody listens on now. */
export function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface OwnRedis {
  port: number;
  url: string;
  /** SIGKILL: no goodbye to its clients. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing). */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that stops answering but keeps its connections open. */
  freeze(): void;
  thaw(): void;
}

/** A redis-server of the test's own, keeping nothing on disk. */
export async function ownRedis(): Promise<OwnRedis> {
  const port = await sparePort();
  let child: ChildProcess | null = null;
  const ping = () =>
    new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.once('data', (d: Buffer) => {
        resolve(d.toString().startsWith('+PONG'));
        s.destroy();
      });
    });
  const redis: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
        { stdio: 'ignore' },
      );
      await until('redis-server answers', ping, 10_000);
    },
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      await new Promise((r) => {
        c.once('exit', r);
        c.kill('SIGKILL');
        c.kill('SIGCONT'); // a frozen one dies too
      });
    },
  };
  process.once('exit', () => child?.kill('SIGKILL'));
  return redis;
}

function pgBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return join(root, version!, 'bin', name);
}

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function run(command: string, args: string[]) {
  const [c, a] = asServerUser(command, args);
  execFileSync(c, a, { stdio: 'pipe' });
}

export interface OwnPostgres {
  port: number;
  /** postgres://… of `database` on this server. */
  url(database?: string): string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: every session is cut, as in a restart or failover. */
  stop(): Promise<void>;
  /** A streaming replica of this server, started on a port of its own. */
  replica(): Promise<OwnPostgres>;
  /** Stops it and removes its folder. */
  remove(): Promise<void>;
}

function postgresAt(dir: string, port: number): OwnPostgres {
  const data = join(dir, 'data');
  const server: OwnPostgres = {
    port,
    url: (database = 'postgres') => `postgres://root@127.0.0.1:${port}/${database}`,
    async start() {
      run(pgBin('pg_ctl'), [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-o',
        // Durability as on a real server for COMMIT, but no fsync: the machine does not crash in this test.
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=60`,
        'start',
      ]);
      await until('PostgreSQL answers', async () => {
        const c = new pg.Client({ connectionString: server.url() });
        c.on('error', () => {});
        await c.connect();
        await c.end();
        return true;
      });
    },
    async stop() {
      if (existsSync(join(data, 'postmaster.pid'))) run(pgBin('pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    async replica() {
      const replicaDir = ownDir();
      const replicaPort = await sparePort();
      run(pgBin('pg_basebackup'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        'root',
        '-D',
        join(replicaDir, 'data'),
        '-R',
        '-X',
        'stream',
        '--no-sync',
        '--checkpoint=fast',
      ]);
      const replica = postgresAt(replicaDir, replicaPort);
      await replica.start();
      return replica;
    },
    async remove() {
      await server.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  process.once('exit', () => {
    try {
      if (existsSync(join(data, 'postmaster.pid'))) run(pgBin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
    } catch {}
  });
  return server;
}

function ownDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'storecrm-faults-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  return dir;
}

/** A PostgreSQL cluster of the test's own (initdb, trust auth, superuser `root`), started. */
export async function ownPostgres(): Promise<OwnPostgres> {
  const dir = ownDir();
  run(pgBin('initdb'), ['-D', join(dir, 'data'), '-U', 'root', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const server = postgresAt(dir, await sparePort());
  await server.start();
  return server;
}

/** Runs `sql` on `url` with a connection of its own. */
export async function sql(url: string, text: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}
