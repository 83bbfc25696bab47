import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresUrl, redisUrl, type TestDatabase } from './helpers/database.ts';
import { requestOnce } from './helpers/http.ts';
import { startApiProcess, type ApiProcess } from './helpers/process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const unitFile = join(root, 'examples/deploy/storecrm.service');
const envFile = join(root, 'examples/deploy/storecrm.env');

/** `Key=value` lines of a systemd unit's section (later lines of the same key add to a list). */
function unitSection(text: string, section: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1]!;
    else if (current === section) {
      const [key, ...rest] = line.split('=');
      out.set(key!, [...(out.get(key!) ?? []), rest.join('=')]);
    }
  }
  return out;
}

function envLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

async function healthz(port: number): Promise<number> {
  return (await requestOnce(port, '/healthz')).json.pid;
}

describe('the systemd example (examples/deploy)', () => {
  const service = unitSection(readFileSync(unitFile, 'utf8'), 'Service');

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('is a unit systemd accepts', () => {
    // The unit as installed: its paths made to exist here (the project for /opt/storecrm, the example env file).
    const dir = mkdtempSync(join(tmpdir(), 'storecrm-unit-'));
    try {
      const unit = readFileSync(unitFile, 'utf8')
        .replace('/opt/storecrm', root)
        .replace('/etc/storecrm/storecrm.env', envFile)
        .replace(/^User=.*$/m, 'User=root')
        .replace(/^Group=.*$/m, 'Group=root')
        .replace('/usr/bin/node', process.execPath);
      writeFileSync(join(dir, 'storecrm.service'), unit);
      execFileSync('/usr/bin/systemd-analyze', ['verify', join(dir, 'storecrm.service')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!postgresUrl || !redisUrl)('run as the unit runs it, against PostgreSQL and Redis', () => {
    let db: TestDatabase;
    let api: ApiProcess;
    afterAll(async () => {
      await api?.stop();
      await db?.drop();
    });

    it('starts one process per core from the example environment, serves, and stops cleanly within TimeoutStopSec', {
      timeout: 120_000,
    }, async () => {
      db = await createTestDatabase('postgres');
      const env: Record<string, string> = {
        ...envLines(readFileSync(envFile, 'utf8')),
        ...Object.fromEntries((service.get('Environment') ?? []).map((e) => e.split('=') as [string, string])),
        // What differs on this machine: where PostgreSQL and Redis are, a real secret, any free port.
        DATABASE_URL: db.url!,
        REDIS_URL: redisUrl,
        REDIS_CHANNEL_PREFIX: `test:${randomBytes(4).toString('hex')}:`,
        JWT_SECRET: randomBytes(32).toString('hex'),
        PORT: '0',
        HOST: '127.0.0.1',
      };
      expect(env.NODE_ENV).toBe('production');
      expect(env.WEB_CONCURRENCY).toBe('auto');
      const command = service.get('ExecStart')![0]!.split(/\s+/);
      command[0] = process.execPath; // /usr/bin/node where the unit is installed
      api = await startApiProcess(env, 90_000, command);

      const ready = await fetch(`http://127.0.0.1:${api.port}/readyz`);
      expect(ready.status).toBe(200);
      // NODE_ENV=production: no demo data, and the log says to bootstrap the first store.
      expect(api.output()).toContain('npm run bootstrap');
      // WEB_CONCURRENCY=auto: one API process per core, all answering on the one port.
      const cores = availableParallelism();
      const pids = new Set<number>();
      for (let i = 0; i < cores * 4 && pids.size < cores; i++) pids.add(await healthz(api.port));
      expect(pids.size).toBe(cores);
      // Each runs with AsyncLocalStorage on async context frames where the runtime has them
      // (src/cli/start.mjs, API_NODE_FLAGS): without, a promise hook slowed subscription fan-out 25 times.
      const frames = '--experimental-async-context-frame';
      if (process.allowedNodeEnvironmentFlags.has(frames))
        for (const pid of [api.child.pid!, ...pids])
          expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'), `process ${pid}`).toContain(frames);

      expect(service.get('KillSignal')).toEqual(['SIGTERM']);
      const stopWithin = Number(service.get('TimeoutStopSec')![0]) * 1000;
      const started = Date.now();
      await api.stop();
      expect(Date.now() - started).toBeLessThan(stopWithin);
      expect(api.child.exitCode).toBe(0);
    });
  });
});
