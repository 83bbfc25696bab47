import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DEMO_ACCOUNTS, DEMO_POS_KEY } from '../../src/demo/seed.ts';
import { postgresUrl } from '../helpers/database.ts';
import { startApiProcess, type ApiProcess } from '../helpers/process.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The database an API process of a fault test runs on: a fresh embedded folder, or (in the
 * PostgreSQL pass, DATABASE_URL set) a fresh database on the server. Either survives the
 * processes killed on it, and is removed by `drop`.
 */
export async function faultDatabase(kind: 'pass' | 'embedded' = 'pass') {
  const dir = mkdtempSync(join(tmpdir(), 'storecrm-faults-'));
  let url: string | null = null;
  if (kind === 'pass' && process.env.DATABASE_URL) {
    const name = `storecrm_faults_${randomBytes(5).toString('hex')}`;
    await admin((c) => c.query(`CREATE DATABASE ${name}`));
    const u = new URL(postgresUrl);
    u.pathname = `/${name}`;
    url = u.toString();
  }
  // Empty values are ignored by src/config.ts: an embedded run ignores the suite's DATABASE_URL.
  const env: Record<string, string> = {
    DATA_DIR: dir,
    DATABASE_URL: url ?? '',
    REDIS_URL: '',
    DEMO_DATA: 'auto',
    JWT_SECRET: randomBytes(32).toString('hex'),
  };
  return {
    dir,
    url,
    env,
    kind: url ? 'postgres' : 'embedded',
    start: (extra: Record<string, string> = {}) => startApiProcess({ ...env, ...extra }, 120_000),
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      if (url) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${new URL(url!).pathname.slice(1)} WITH (FORCE)`));
    },
  };
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: postgresUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Runs a command of the project to its end (e.g. `src/cli/migrate.ts`): exit code and output. */
export function runToExit(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Resolves with the exit code (or signal) once the process has ended. */
export function exited(api: ApiProcess): Promise<number | string | null> {
  if (api.child.exitCode !== null || api.child.signalCode !== null)
    return Promise.resolve(api.child.exitCode ?? api.child.signalCode);
  return new Promise((resolve) => api.child.once('exit', (code, signal) => resolve(code ?? signal)));
}

export async function gql(port: number, query: string, variables: object = {}, token?: string) {
  return (await post(port, { query, variables }, token ?? DEMO_POS_KEY)).json;
}

/** A GraphQL POST on a connection of its own, with a generous time limit (a busy CI machine). */
export function post(
  port: number,
  body: object,
  token: string,
  timeoutMs = 60_000,
): Promise<{ status: number; json: any; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            json: text.startsWith('{') ? JSON.parse(text) : null,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.end(JSON.stringify(body));
  });
}

export async function ownerToken(port: number): Promise<string> {
  const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
  const r = await gql(
    port,
    `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } } }`,
    { l: owner.login, p: owner.password },
  );
  return r.data.signIn.token;
}

export const SALE = `mutation($input: RecordSaleInput!)
  { recordSale(input: $input) { __typename ... on RecordSalePayload { replayed sale { id externalId } }
    ... on UserError { errorCode message } } }`;

/** The demo store the POS key sells in, and plenty of a SKU to sell there. */
export async function prepareSelling(port: number, sku = 'SN-001') {
  const token = await ownerToken(port);
  const stores = await gql(port, '{ stores { id code } }', {}, token);
  const store = stores.data.stores.find((s: { code: string }) => s.code === 'BJ-SLT').id as string;
  const r = await gql(
    port,
    `mutation($s: ID!) { adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "${sku}", quantity: 100000 }])
       { __typename } }`,
    { s: store },
    token,
  );
  if (!r.data?.adjustStock || /Error$/.test(r.data.adjustStock.__typename)) throw new Error(JSON.stringify(r));
  return { token, store, sku };
}

export function saleInput(store: string, sku: string, externalId: string) {
  return {
    storeId: store,
    externalId,
    lines: [{ sku, quantity: 1, unitPrice: '1.00' }],
    payments: [{ method: 'CASH', amount: '1.00' }],
  };
}
