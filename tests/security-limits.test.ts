import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.ts';
import { DUMMY_HASH } from '../src/auth/service.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/client.ts';
import { createLogger } from '../src/logger.ts';
import { DEMO_ACCOUNTS, seedDemoData } from '../src/demo/seed.ts';
import { createApp, type App } from '../src/server.ts';
import { securityOptions } from '../src/startup.ts';
import { SMALL_DEMO, startTestApp, type TestApp } from './helpers/app.ts';
import { createTestDatabase, postgresUrl, redisUrl, type TestDatabase } from './helpers/database.ts';
import { subscribe, wsClient } from './helpers/ws.ts';

/**
 * Availability and sign-in limits, and the HTTP hardening defaults (docs/security.md), through
 * real GraphQL requests: refused operations cost no SQL, callers are limited, sign-in is
 * throttled, forms and foreign origins cannot run operations.
 */

const SIGN_IN = `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { __typename
  ... on SignInPayload { token } ... on TooManyAttemptsError { errorCode message retryAfterSeconds }
    ... on UserError { errorCode message } } }`;
const CUSTOMERS = `{ customers(first: 2) { edges { node { id name } } } }`;
const owner = DEMO_ACCOUNTS.find((a) => a.role === 'OWNER')!;
const cashier = DEMO_ACCOUNTS.find((a) => a.role === 'CASHIER')!;

/** customers → sales → customer → sales …, `levels` times, with two aliased branches per level. */
function cyclicQuery(levels: number, first = 1): string {
  let inner = 'id';
  for (let i = 0; i < levels; i++)
    inner =
      `a: sales(first: ${first}) { edges { node { customer { ${inner} } } } } ` +
      `b: sales(first: ${first}) { edges { node { id } } }`;
  return `{ customers(first: ${first}) { edges { node { ${inner} } } } }`;
}

const errorOf = (r: { errors?: { extensions?: Record<string, unknown>; message: string }[] }) => r.errors?.[0];

describe('query limits: refused before any SQL runs', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await t.token('OWNER');
  });
  afterAll(() => t?.close());

  /** Sends the operation and returns the response with the SQL statements it caused. */
  async function measured(body: object, headers: Record<string, string> = {}) {
    t.db.statements.length = 0;
    const res = await t.app.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: any }[] };
    return { status: res.status, json, statements: t.db.statements.length };
  }

  it('refuses a deep customer → sales → customer query (typed error, no SQL); a normal request answers', async () => {
    const deep = cyclicQuery(6);
    // Several at once, beside an ordinary request: the ordinary one answers with its data.
    const [normal, ...refused] = await Promise.all([
      t.ok(CUSTOMERS, {}, { token }),
      ...Array.from({ length: 10 }, () =>
        t.app.yoga.fetch('http://test/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-language': 'en' },
          body: JSON.stringify({ query: deep }),
        }),
      ),
    ]);
    expect(normal.customers.edges).toHaveLength(2);
    for (const res of refused) {
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.data).toBeUndefined();
      expect(body.errors[0].extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 12 });
      expect(body.errors[0].message).toBe('The query is nested too deeply: at most 12 levels');
    }
    const one = await measured({ query: deep });
    expect(one.statements).toBe(0);
    expect(errorOf(one.json)?.message).toBe('查询嵌套过深：最多 12 层');
  });

  it('refuses the exponential shape within the depth limit by its cost (connection sizes and variables)', async () => {
    // Depth 11 (within 12), 1 customer and 1 sale per level: cheap, answered.
    const small = await measured({ query: cyclicQuery(2) });
    expect(small.json.errors).toBeUndefined();
    // The same document with pages of 100: 100 × 100 × … objects; refused, no SQL.
    const wide = `query($n: Int) { customers(first: $n)
      { edges { node { sales(first: $n) { edges { node { lines { product { name } } customer { name } } } } } } } }`;
    const refused = await measured({ query: wide, variables: { n: 100 } });
    expect(refused.statements).toBe(0);
    expect(errorOf(refused.json)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'cost', max: 10_000 });
    // The same document with small pages passes: the cost follows the variables, not a cached verdict.
    const fine = await measured({ query: wide, variables: { n: 3 } });
    expect(fine.json.errors).toBeUndefined();
    // No page size at all: the connections' default page (20) counts: 20 customers × 20 sales × 20 sales each.
    const byDefault = await measured({
      query: `{ customers { edges { node { sales { edges
        { node { customer { sales { edges { node { lines { product { name } } } } } } } } } } } } }`,
    });
    expect(errorOf(byDefault.json)?.extensions).toMatchObject({ limit: 'cost' });
    expect(byDefault.statements).toBe(0);
    // A verdict kept for a document without variables in its sizes: refused again, still without SQL.
    const again = await measured({
      query: `{ customers { edges { node { sales { edges
        { node { customer { sales { edges { node { lines { product { name } } } } } } } } } } } } }`,
    });
    expect(errorOf(again.json)?.extensions).toMatchObject({ limit: 'cost' });
    expect(again.statements).toBe(0);
  });

  it('refuses many aliases, a fragment bomb and a huge document, without SQL', async () => {
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `c${i}: customers(first: 1) { totalCount }`).join(' ')}
      }`;
    const a = await measured({ query: aliases });
    expect(errorOf(a.json)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases', max: 30 });
    expect(a.statements).toBe(0);

    // Each fragment spreads the next twice: 2^20 fields once expanded; the walk stops at 500.
    const fragments = Array.from(
      { length: 20 },
      (_, i) => `fragment F${i} on Customer { id ${i < 19 ? `...F${i + 1} ...F${i + 1}` : 'name'} }`,
    ).join('\n');
    const bomb = await measured({ query: `{ customers(first: 1) { edges { node { ...F0 } } } }\n${fragments}` });
    expect(errorOf(bomb.json)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'fields', max: 500 });
    expect(bomb.statements).toBe(0);

    const huge = `{ stores { ${Array.from({ length: 12_000 }, () => 'id').join(' ')} } }`;
    const h = await measured({ query: huge }, { 'accept-language': 'en' });
    expect(errorOf(h.json)?.extensions, JSON.stringify(h.json)).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'tokens',
      max: 10_000,
    });
    expect(errorOf(h.json)?.message).toContain('at most 10000 tokens');
    expect(h.statements).toBe(0);
  });

  it('runs one signIn per request: 50 aliased sign-ins are refused before any password is checked', async () => {
    const many = `mutation { ${Array.from(
      { length: 50 },
      (_, i) => `s${i}: signIn(login: "${owner.login}", password: "guess-${i}") { __typename }`,
    ).join(' ')} }`;
    const r = await measured({ query: many });
    expect(errorOf(r.json)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' });
    expect(r.statements).toBe(0);
    // Two (within the alias limit) are refused too.
    const two = await measured({
      query: `mutation { a: signIn(login: "x", password: "y") { __typename }
        b: signIn(login: "x", password: "z") { __typename } }`,
    });
    expect(errorOf(two.json)?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'once', field: 'signIn' });
    expect(two.statements).toBe(0);
  });

  it('refuses a deep subscription over graphql-ws the same way, and keeps serving ordinary ones', async () => {
    const port = await t.app.listen(0, '127.0.0.1');
    const client = wsClient(`ws://127.0.0.1:${port}/graphql`, { authorization: `Bearer ${token}` });
    try {
      let inner = 'id';
      for (let i = 0; i < 4; i++) inner = `customer { sales(first: 1) { edges { node { ${inner} } } } }`;
      t.db.statements.length = 0;
      const deep = subscribe(client, `subscription { saleRecorded { ${inner} } }`);
      const refused = await deep.next();
      expect(JSON.stringify(refused.errors)).toContain('QUERY_TOO_COMPLEX');
      expect(t.db.statements).toHaveLength(0);
      const fine = subscribe(client, `subscription { saleRecorded { id } }`);
      // Subscribed (no error within a moment): nothing arrives until a sale is recorded.
      await expect(fine.next(300)).rejects.toThrow(/no subscription event/);
      fine.close();
    } finally {
      await client.dispose();
    }
  });

  it('answers the example operations and GraphiQL-style introspection within the default limits', async () => {
    const introspection = await measured({
      query: `{ __schema { types { name fields { name type
        { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } } }`,
    });
    expect(introspection.json.errors).toBeUndefined();
  });
});

describe('query limits are configurable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ app: { queryLimits: { maxDepth: 4, maxCost: 50 } } });
  });
  afterAll(() => t?.close());

  it('uses the limits it is given', async () => {
    const r = await t.as('OWNER').gql(`{ customers(first: 1) { edges { node { id } } } }`);
    expect(r.errors).toBeUndefined();
    const deep = await t.as('OWNER').gql(`{ customers(first: 1) { edges { node { member { code } } } } }`);
    expect(deep.errors?.[0]?.extensions).toMatchObject({ limit: 'depth', max: 4 });
    const costly = await t.as('OWNER').gql(`{ customers(first: 60) { edges { node { id } } } }`);
    expect(costly.errors?.[0]?.extensions).toMatchObject({ limit: 'cost', max: 50 });
  });

  it('reads them and the hardening switches from the environment, closed by default in production', () => {
    const dev = securityOptions(loadConfig({ QUERY_MAX_DEPTH: '8', RATE_LIMIT_PER_MINUTE: '60' }));
    expect(dev.queryLimits.maxDepth).toBe(8);
    expect(dev.rateLimits.requestsPerMinute).toBe(60);
    expect(dev).toMatchObject({ introspection: true, graphiql: true, corsOrigins: '*', metricsToken: null });
    const prod = securityOptions(loadConfig({ NODE_ENV: 'production' }));
    expect(prod).toMatchObject({ introspection: false, graphiql: false, corsOrigins: [] });
    expect(prod.metricsToken).toMatch(/^[0-9a-f]{64}$/);
    const opened = securityOptions(
      loadConfig({
        NODE_ENV: 'production',
        INTROSPECTION: 'on',
        GRAPHIQL: 'on',
        CORS_ORIGINS: 'https://a.example, https://b.example',
        METRICS_TOKEN: 'scrape-token-0123456789',
      }),
    );
    expect(opened).toMatchObject({
      introspection: true,
      graphiql: true,
      corsOrigins: ['https://a.example', 'https://b.example'],
      metricsToken: 'scrape-token-0123456789',
    });
  });
});

describe('per-caller rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ app: { rateLimits: { requestsPerMinute: 5 } } });
  });
  afterAll(() => t?.close());

  it('refuses a caller over its allowance with 429, Retry-After and a typed error; others still served', async () => {
    const token = await t.token('MANAGER'); // the sign-in counted for the address, not for the manager
    for (let i = 0; i < 5; i++) expect((await t.gql(CUSTOMERS, {}, { token })).errors).toBeUndefined();
    const res = await t.app.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-language': 'en' },
      body: JSON.stringify({ query: CUSTOMERS }),
    });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: retryAfter });
    expect(body.errors[0].message).toBe(`Too many requests; try again in ${retryAfter} seconds`);
    // Another caller has its own allowance.
    expect((await t.gql(CUSTOMERS, {}, { token: await t.token('OWNER') })).errors).toBeUndefined();
  });
});

describe('the rate limit on HTTP routes', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    // 70 a minute: the owner's first query (the helper's list of stores) and two exports (30 each)
    // fit, a third does not.
    t = await startTestApp({ app: { rateLimits: { requestsPerMinute: 70 } } });
    base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
  });
  afterAll(() => t?.close());

  it('counts an export as many queries, shares the allowance with GraphQL, and never limits the probes', async () => {
    const token = await t.token('OWNER');
    const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
      fetch(`${base}${path}`, { headers: { 'accept-language': 'en', ...headers } });
    expect((await get('/exports/customers.csv')).status).toBe(200);
    expect((await get('/exports/customers.xlsx')).status).toBe(200);
    const refused = await get('/exports/customers.csv');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(((await refused.json()) as any).errors[0]).toMatchObject({
      message: `Too many requests; try again in ${retryAfter} seconds`,
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
    });
    // The same allowance as GraphQL's: the owner's queries wait too.
    expect((await t.gql(CUSTOMERS, {}, { token })).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    // Health checks and scrapes are not counted, however often they come.
    for (let i = 0; i < 70; i++) expect((await get('/healthz', {})).status).toBe(200);
    // A caller without credentials is counted by address, apart from the owner.
    expect((await get('/exports/customers.csv', {})).status).toBe(401);
  });
});

describe.skipIf(!postgresUrl || !redisUrl)('limits shared by processes through Redis', () => {
  let db: TestDatabase;
  let a: App;
  let b: App;
  const secret = randomBytes(32).toString('hex');
  const prefix = `test:${randomBytes(4).toString('hex')}:`;
  const gql = async (app: App, query: string, variables: object, headers: Record<string, string> = {}) => {
    const res = await app.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await seedDemoData(db.database.prisma, SMALL_DEMO);
    const make = () =>
      createApp({
        database: db.database,
        jwtSecret: secret,
        logger: createLogger('silent'),
        redisUrl,
        redisChannelPrefix: prefix,
        rateLimits: { requestsPerMinute: 6 },
      });
    a = await make();
    b = await make();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('counts a caller’s requests across processes; a deactivated member’s token stops at once everywhere', async () => {
    const signIn = async (app: App, login: string, password: string) =>
      (await gql(app, SIGN_IN, { l: login, p: password })).json.data.signIn.token as string;
    const ownerToken = await signIn(a, owner.login, owner.password);
    const cashierToken = await signIn(b, cashier.login, cashier.password);
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    // The cashier's token works in process B (and is now in B's cache).
    expect((await gql(b, '{ viewer { name } }', {}, auth(cashierToken))).json.data.viewer.name).toBeTruthy();
    const staffId = (await gql(b, '{ viewer { staffId } }', {}, auth(cashierToken))).json.data.viewer.staffId;
    // Process A deactivates the cashier; B refuses the token on the next request.
    const off = await gql(
      a,
      `mutation($id: ID!) { setStaffActive(staffId: $id, active: false) { __typename ... on Staff { active } } }`,
      { id: staffId },
      auth(ownerToken),
    );
    expect(off.json.data.setStaffActive).toEqual({ __typename: 'Staff', active: false });
    // B hears it through Redis within moments (not after its cache's one-minute expiry).
    const deadline = Date.now() + 2_000;
    let kind = 'staff';
    while (kind !== 'anonymous' && Date.now() < deadline) {
      kind = (await gql(b, '{ viewer { kind } }', {}, auth(cashierToken))).json.data.viewer.kind;
      if (kind !== 'anonymous') await new Promise((r) => setTimeout(r, 20));
    }
    expect(kind).toBe('anonymous');
    const denied = await gql(b, CUSTOMERS, {}, auth(cashierToken));
    expect(denied.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await gql(a, SIGN_IN, { l: cashier.login, p: cashier.password })).json.data.signIn.errorCode).toBe(
      'INVALID_CREDENTIALS',
    );

    // The owner has made 1 request, on A (sign-in is anonymous, counted for the address); 6 allowed in all.
    for (const app of [b, a, b, a, b]) expect((await gql(app, CUSTOMERS, {}, auth(ownerToken))).status).toBe(200);
    expect((await gql(b, CUSTOMERS, {}, auth(ownerToken))).status).toBe(429);
    expect((await gql(a, CUSTOMERS, {}, auth(ownerToken))).status).toBe(429);
  });
});

describe('sign-in throttling', () => {
  let t: TestApp;
  const secret = randomBytes(32).toString('hex');
  const signIn = async (login: string, password: string, address: string) => {
    const res = await t.app.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address, 'accept-language': 'en' },
      body: JSON.stringify({ query: SIGN_IN, variables: { l: login, p: password } }),
    });
    return ((await res.json()) as any).data.signIn;
  };
  beforeAll(async () => {
    t = await startTestApp({
      app: {
        trustProxy: true,
        jwtSecret: secret,
        rateLimits: { signInFailuresPerLogin: 3, signInFailuresPerAddress: 6, signInLockSeconds: 30 },
      },
    });
  });
  afterAll(() => t?.close());

  it('locks a login after failures in a row, even for the right password, and only that login', async () => {
    for (let i = 0; i < 3; i++)
      expect((await signIn(owner.login, `wrong-${i}`, '10.0.0.1')).errorCode).toBe('INVALID_CREDENTIALS');
    t.db.statements.length = 0;
    const locked = await signIn(owner.login, owner.password, '10.0.0.2');
    expect(locked).toMatchObject({ __typename: 'TooManyAttemptsError', errorCode: 'SIGN_IN_THROTTLED' });
    expect(locked.retryAfterSeconds).toBeGreaterThan(25);
    expect(locked.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(locked.message).toBe(`Too many failed sign-ins; try again in ${locked.retryAfterSeconds} seconds`);
    expect(t.db.statements).toHaveLength(0); // refused before the staff member is even read
    // Another login from the same address still signs in.
    expect((await signIn(cashier.login, cashier.password, '10.0.0.1')).__typename).toBe('SignInPayload');
  });

  it('treats an unknown login like a known one, and locks an address that tries many logins', async () => {
    for (let i = 0; i < 3; i++)
      expect((await signIn('13999990000', 'x', '10.0.1.1')).errorCode).toBe('INVALID_CREDENTIALS');
    expect((await signIn('13999990000', 'x', '10.0.1.2')).errorCode).toBe('SIGN_IN_THROTTLED');
    // Six failures from one address, each on a different login: the address is locked.
    for (let i = 0; i < 6; i++)
      expect((await signIn(`1390000000${i}`, 'x', '10.0.2.1')).errorCode).toBe('INVALID_CREDENTIALS');
    const manager = DEMO_ACCOUNTS.find((a) => a.role === 'MANAGER')!;
    expect((await signIn(manager.login, manager.password, '10.0.2.1')).errorCode).toBe('SIGN_IN_THROTTLED');
    expect((await signIn(manager.login, manager.password, '10.0.2.2')).__typename).toBe('SignInPayload');
  });

  it('checks an unknown login against a dummy hash that costs what a real one does', async () => {
    const real = (await hashPassword('anything')).split('$');
    const dummy = DUMMY_HASH.split('$');
    expect(dummy.slice(0, 4)).toEqual(real.slice(0, 4)); // scheme, N, r, p
    expect(Buffer.from(dummy[5]!, 'base64')).toHaveLength(Buffer.from(real[5]!, 'base64').length);
  });

  it('never accepts a token without an expiry, even correctly signed', async () => {
    const staff = await t.db.database.prisma.staff.findUniqueOrThrow({ where: { login: owner.login } });
    const forever = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(staff.id)
      .setIssuer('storecrm')
      .setIssuedAt()
      .sign(new TextEncoder().encode(secret));
    const r = await t.gql(CUSTOMERS, {}, { token: forever });
    expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The same token with an expiry is accepted: only the missing expiry is refused.
    const expiring = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(staff.id)
      .setIssuer('storecrm')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    expect((await t.gql(CUSTOMERS, {}, { token: expiring })).errors).toBeUndefined();
  });
});

describe('HTTP hardening', () => {
  let t: TestApp;
  let closed: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    closed = await startTestApp({
      seed: false,
      app: {
        introspection: false,
        graphiql: false,
        corsOrigins: ['https://shop.example'],
        metricsToken: 'scrape-token-0123456789',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await closed?.close();
  });

  it('runs operations only from JSON or GraphQL bodies: a form or multipart POST is refused unparsed', async () => {
    const token = await t.token('OWNER');
    const mutation = `mutation { createCustomer(input: { name: "表单攻击", phone: "13912345670" }) { __typename } }`;
    const post = (contentType: string, body: string) =>
      t.app.yoga.fetch('http://test/graphql', {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
        body,
      });
    t.db.statements.length = 0;
    const form = await post('application/x-www-form-urlencoded', new URLSearchParams({ query: mutation }).toString());
    expect(form.status).toBe(415);
    expect(((await form.json()) as any).errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const boundary = 'XyZ';
    const multipart = await post(
      `multipart/form-data; boundary=${boundary}`,
      `--${boundary}\r\nContent-Disposition: form-data; ` +
        `name="operations"\r\n\r\n${JSON.stringify({ query: mutation })}\r\n--${boundary}--\r\n`,
    );
    expect(multipart.status).toBe(415);
    const plain = await post('text/plain', JSON.stringify({ query: mutation }));
    expect(plain.status).toBe(415);
    expect(t.db.statements).toHaveLength(0);
    expect(await t.db.database.prisma.customer.count({ where: { name: '表单攻击' } })).toBe(0);
    // JSON and application/graphql still work.
    expect((await post('application/json; charset=utf-8', JSON.stringify({ query: '{ stores { id } }' }))).status).toBe(
      200,
    );
    const graphql = await post('application/graphql', '{ stores { id } }');
    expect(((await graphql.json()) as any).data.stores.length).toBeGreaterThan(0);
  });

  it('answers CORS for the configured origins only, never with credentials', async () => {
    const preflight = (app: TestApp, origin: string) =>
      app.app.yoga.fetch('http://test/graphql', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
    const allowed = await preflight(closed, 'https://shop.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const foreign = await preflight(closed, 'https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).not.toBe('*');
    // The development default answers any origin, but without credentials (no cookies are used).
    const dev = await preflight(t, 'https://evil.example');
    expect(dev.headers.get('access-control-allow-credentials')).not.toBe('true');
  });

  it('turns off introspection and GraphiQL when told (production’s default), keeping __typename', async () => {
    const r = await closed.gql(`{ __schema { types { name } } }`);
    expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(r.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await closed.gql(`{ __typename }`)).data).toEqual({ __typename: 'Query' });
    const page = await closed.app.yoga.fetch('http://test/graphql', { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('GraphiQL');
    const open = await t.app.yoga.fetch('http://test/graphql', { headers: { accept: 'text/html' } });
    expect(await open.text()).toContain('GraphiQL');
  });

  it('answers /metrics only with its bearer token when one is set', async () => {
    const port = await closed.app.listen(0, '127.0.0.1');
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/metrics', headers, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get({})).toBe(401);
    expect(await get({ authorization: 'Bearer scrape-token-wrong-0000' })).toBe(401);
    expect(await get({ authorization: 'Bearer scrape-token-0123456789' })).toBe(200);
  });
});

describe.skipIf(!postgresUrl)('database work bounded on PostgreSQL', () => {
  let t: TestApp;
  let admin: pg.Client;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
    port = await t.app.listen(0, '127.0.0.1');
    admin = new pg.Client({ connectionString: t.db.url! });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await t?.close();
  });

  /** Backends of the test database waiting for a lock (our blocked UPDATE). */
  const waiting = async () =>
    Number(
      (
        await admin.query(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )
      ).rows[0].n,
    );
  const until = async (check: () => Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };

  it('cancels the running statement of a request whose client has gone', async () => {
    const token = await t.token('OWNER');
    const customer = await t.db.database.prisma.customer.findFirstOrThrow();
    const holder = new pg.Client({ connectionString: t.db.url! });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM "Customer" WHERE id = $1 FOR UPDATE`, [customer.id]);
      const gid = Buffer.from(`Customer:${customer.id}`).toString('base64');
      const body = JSON.stringify({
        query: `mutation($id: ID!) { updateCustomer(id: $id, input: { notes: "from a client that left" }) { __typename }
          }`,
        variables: { id: gid },
      });
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      });
      req.on('error', () => {});
      req.end(body);
      expect(await until(async () => (await waiting()) === 1, 10_000)).toBe(true);
      req.destroy(); // the client gives up
      // Its UPDATE stops waiting although the lock is still held.
      expect(await until(async () => (await waiting()) === 0, 5_000)).toBe(true);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const after = await t.db.database.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(after.notes).not.toBe('from a client that left');
  });

  it('answers STATEMENT_TIMEOUT when a statement runs past the statement timeout, nothing written', async () => {
    // The same database through a process whose statements may run 300 ms.
    const database = await openDatabase({ url: t.db.url!, statementTimeoutMs: 300 });
    const app = await createApp({
      database,
      jwtSecret: randomBytes(32).toString('hex'),
      logger: createLogger('silent'),
    });
    const call = async (query: string, variables: object, token?: string) =>
      (await (
        await app.yoga.fetch('http://test/graphql', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'accept-language': 'en',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ query, variables }),
        })
      ).json()) as any;
    const holder = new pg.Client({ connectionString: t.db.url! });
    await holder.connect();
    try {
      const token = (await call(SIGN_IN, { l: owner.login, p: owner.password })).data.signIn.token;
      const customer = await database.prisma.customer.findFirstOrThrow();
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM "Customer" WHERE id = $1 FOR UPDATE`, [customer.id]);
      const started = Date.now();
      // Waiting for the lock counts: the update is cancelled after 300 ms while the lock is still held.
      const r = await call(
        `mutation($id: ID!) { updateCustomer(id: $id, input: { notes: "too late" }) { __typename } }`,
        { id: Buffer.from(`Customer:${customer.id}`).toString('base64') },
        token,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(r.errors[0].extensions.code).toBe('STATEMENT_TIMEOUT');
      expect(r.errors[0].message).toMatch(
        /^The request took too long and the database cancelled it; nothing was saved/,
      );
      expect(await waiting()).toBe(0);
      await holder.query('ROLLBACK');
      const after = await database.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
      expect(after.notes).not.toBe('too late');
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
      await app.close();
      await database.close();
    }
  });
});
