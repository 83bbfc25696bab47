import { randomBytes } from 'node:crypto';
import { createApp, type App, type AppOptions } from '../../src/server.ts';
import { createLogger } from '../../src/logger.ts';
import { DEMO_ACCOUNTS, DEMO_POS_KEY, seedDemoData, type DemoSize } from '../../src/demo/seed.ts';
import type { StorePlugin } from '../../src/plugin-host/host.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export type Role = 'OWNER' | 'MANAGER' | 'CASHIER' | 'SALES_ASSOCIATE';

export interface GqlResult<T = any> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface CallOptions {
  token?: string | null;
  apiKey?: string;
  locale?: string;
}

export interface TestApp {
  app: App;
  db: TestDatabase;
  /** A GraphQL request through Yoga's fetch, exactly as over HTTP. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: CallOptions): Promise<GqlResult<T>>;
  /** Like gql, but fails the test on any GraphQL error and returns data. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, options?: CallOptions): Promise<T>;
  token(role: Role): Promise<string>;
  /** A caller signed in with the demo account of `role`. */
  as(role: Role): { gql: TestApp['gql']; ok: TestApp['ok'] };
  posKey: string;
  stores: { id: string; code: string }[];
  close(): Promise<void>;
}

export const SMALL_DEMO: DemoSize = { customers: 30, sales: 120, days: 60 };

export async function startTestApp(
  options: {
    plugins?: StorePlugin[];
    seed?: DemoSize | false;
    database?: 'default' | 'postgres';
    redisUrl?: string;
    /** Limits and switches of the app under test (e.g. importMaxBytes). */
    app?: Partial<
      Pick<
        AppOptions,
        | 'importMaxBytes'
        | 'graphqlMaxBytes'
        | 'logger'
        | 'queryLimits'
        | 'rateLimits'
        | 'introspection'
        | 'storefrontPersistedOnly'
        | 'corsOrigins'
        | 'metricsToken'
        | 'trustProxy'
        | 'graphiql'
        | 'jwtSecret'
        | 'discountLimits'
        | 'webhooks'
      >
    >;
  } = {},
): Promise<TestApp> {
  const db = await createTestDatabase(
    options.database ?? 'default',
    (options.plugins ?? []).flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
  );
  if (options.seed !== false) await seedDemoData(db.database.prisma, options.seed ?? SMALL_DEMO);
  const app = await createApp({
    database: db.database,
    jwtSecret: randomBytes(32).toString('hex'),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    plugins: options.plugins ?? [],
    redisUrl: options.redisUrl,
    redisChannelPrefix: `test:${randomBytes(4).toString('hex')}:`,
    ...options.app,
  });

  const gql: TestApp['gql'] = async (query, variables = {}, opts = {}) => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'accept-language': opts.locale ?? 'zh-CN',
    };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
    const res = await app.yoga.fetch('http://test/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult;
  };
  const ok: TestApp['ok'] = async (query, variables, opts) => {
    const result = await gql(query, variables, opts);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
    return result.data;
  };
  const tokens = new Map<Role, string>();
  const token = async (role: Role) => {
    if (!tokens.has(role)) {
      const account = DEMO_ACCOUNTS.find((a) => a.role === role)!;
      const data = await ok(
        `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token }
           ... on UserError { errorCode message } } }`,
        {
          l: account.login,
          p: account.password,
        },
      );
      tokens.set(role, data.signIn.token);
    }
    return tokens.get(role)!;
  };
  const stores =
    options.seed === false ? [] : (await ok(`{ stores { id code } }`, {}, { token: await token('OWNER') })).stores;
  return {
    app,
    db,
    gql,
    ok,
    token,
    as: (role) => ({
      gql: async (q, v, o) => gql(q, v, { ...o, token: await token(role) }),
      ok: async (q, v, o) => ok(q, v, { ...o, token: await token(role) }),
    }),
    posKey: DEMO_POS_KEY,
    stores,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
