import { parseArgs } from 'node:util';

/** Sizes of the data set at scale 1; `--scale` multiplies every count. */
export const FULL_SIZE = { skus: 2_000, customers: 100_000, sales: 1_000_000, importCustomers: 100_000 };

export interface Size {
  stores: number;
  skus: number;
  customers: number;
  sales: number;
  /** Rows in the CSV file of the import scenario. */
  importCustomers: number;
}

export interface Timing {
  /** Seconds of warm-up before each measured load run. */
  warmup: number;
  /** Seconds each measured load run lasts. */
  duration: number;
  /**
   * When set, each load run sends this many requests instead of lasting `duration` (and warms up
   * with one request per connection): a run that always completes, however busy the machine (CI).
   */
  requests: number | null;
  /** Subscribers and sales of the fan-out scenario. */
  subscribers: number;
  fanoutSales: number;
}

export interface BenchOptions {
  scaleLabel: string;
  size: Size;
  timing: Timing;
  postgresUrl: string;
  keep: boolean;
  /** Use this existing (kept) database instead of creating and filling a new one. */
  reuse: string | null;
  only: string[] | null;
  /** API processes: sets WEB_CONCURRENCY for the server. */
  processes: number | null;
  connections: number;
  cpuProf: string | null;
  profileDir: string;
  writeDocs: boolean;
  /** Where the JSON lines go besides stdout. */
  out: string | null;
  /** Another commit (a git ref) whose build is loaded by the same scenarios in the same run. */
  compare: string | null;
  ci: boolean;
}

const USAGE = `npm run bench -- [options]

  --scale=N|ci        shrink every count but the 3 stores (0.01 = 1,000 customers, 10,000 sales); ci: a tiny run for CI
  --only=a,b          run only these scenarios (record-sale, record-sale-campaigns, hot-sku, customer-360,
                      customer-search, floor, create-customer, customer-read, customer-list, subscriptions, rfm,
                      insights-kpis, insights-baskets, insights-cohorts, segments, campaign-whatif, csv-import,
                      xlsx-import, cold-start)
  --duration=S        seconds per measured load run (default 20; at --scale=ci a fixed 48 requests)
  --warmup=S          seconds of warm-up before each load run (default 3)
  --connections=N     concurrent connections of the load runs (default 16)
  --processes=N       API processes (sets WEB_CONCURRENCY)
  --cpu-prof=NAME     start the API with --cpu-prof for scenario NAME
  --profile-dir=DIR   where .cpuprofile files go (default bench-profiles/)
  --keep              keep the database afterwards (its name is printed)
  --reuse=DB          run against a kept database instead of generating one
  --no-docs           do not rewrite the results in docs/benchmarks.md
  --out=FILE          also append the JSON lines to FILE
  --compare=REF       also run each scenario against another commit (a branch, tag or hash), checked out
                      beside this one with a database its own code fills; rows are labelled "scenario @ commit"
  BENCH_POSTGRES_URL  server to create the database on (default postgres://root@127.0.0.1:5432/postgres)`;

export const SCENARIOS = [
  'record-sale',
  'record-sale-campaigns',
  'hot-sku',
  'customer-360',
  'customer-search',
  'floor',
  'create-customer',
  'customer-read',
  'customer-list',
  'subscriptions',
  'rfm',
  'insights-kpis',
  'insights-baskets',
  'insights-cohorts',
  'segments',
  'campaign-whatif',
  'csv-import',
  'xlsx-import',
  'cold-start',
] as const;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scale: { type: 'string', default: '1' },
      only: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string', default: '16' },
      processes: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'profile-dir': { type: 'string', default: 'bench-profiles' },
      keep: { type: 'boolean', default: false },
      reuse: { type: 'string' },
      'no-docs': { type: 'boolean', default: false },
      out: { type: 'string' },
      compare: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.compare && values.reuse)
    throw new Error('--compare generates both databases: it cannot be used with --reuse');
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const ci = values.scale === 'ci';
  const scale = ci ? 0 : Number(values.scale);
  if (!ci && !(scale > 0 && scale <= 10))
    throw new Error(`--scale must be a number in (0, 10] or "ci", got ${values.scale}`);
  const sized = (n: number, min: number) => Math.max(min, Math.round(n * scale));
  const size: Size = ci
    ? { stores: 3, skus: 60, customers: 2_000, sales: 20_000, importCustomers: 2_000 }
    : {
        stores: 3,
        skus: sized(FULL_SIZE.skus, 20),
        customers: sized(FULL_SIZE.customers, 200),
        sales: sized(FULL_SIZE.sales, 2_000),
        importCustomers: sized(FULL_SIZE.importCustomers, 200),
      };
  const number = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
  const timing: Timing = {
    warmup: number(values.warmup, ci ? 0.5 : 3),
    duration: number(values.duration, 20),
    requests: ci && values.duration === undefined ? 48 : null,
    subscribers: ci ? 50 : 1_000,
    fanoutSales: ci ? 10 : 100,
  };
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : null;
  for (const name of [...(only ?? []), ...(values['cpu-prof'] ? [values['cpu-prof']] : [])]) {
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new Error(`unknown scenario "${name}"; one of ${SCENARIOS.join(', ')}`);
  }
  return {
    scaleLabel: ci ? 'ci' : String(scale),
    size,
    timing,
    postgresUrl: process.env.BENCH_POSTGRES_URL || 'postgres://root@127.0.0.1:5432/postgres',
    keep: values.keep!,
    reuse: values.reuse ?? null,
    only,
    processes: values.processes ? Number(values.processes) : null,
    connections: Number(values.connections),
    cpuProf: values['cpu-prof'] ?? null,
    profileDir: values['profile-dir']!,
    // The results block shows one build; a comparison belongs in a findings section.
    writeDocs: !ci && !values['no-docs'] && !values.compare,
    out: values.out ?? null,
    compare: values.compare ?? null,
    ci,
  };
}
