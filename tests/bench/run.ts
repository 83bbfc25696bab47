/**
 * `npm run bench`: creates a benchmark database, fills it, and measures the API as production runs
 * it against hand-written baselines where there is one. Prints one JSON line per scenario and a
 * markdown table, and writes the table to docs/benchmarks.md. See docs/benchmarks.md.
 *
 * Exits non-zero when the harness itself fails (a scenario cannot measure at all), never because a
 * target was missed: targets are for people to read, at full scale.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BENCH_OWNER,
  createDatabase,
  databaseUrl,
  dropDatabase,
  generateDataset,
  migrate,
  readDatasetInfo,
  saveDatasetInfo,
  type DatasetInfo,
} from './dataset.ts';
import { checkoutCompareTree, prepareCompareDatabase, type CompareTree } from './compare.ts';
import { withClient } from './fixtures.ts';
import { parseOptions, SCENARIOS } from './options.ts';
import { describeMachine, markdownTable, resultsSection, writeResultsToDocs } from './report.ts';
import { graphql, type BenchContext, type Scenario, type ScenarioResult } from './scenario.ts';
import { ROOT, startServer, type ApiServer } from './server.ts';
import { createCustomerOp, customerListOp, customerReadOp, floor } from './scenarios/admin-ops.ts';
import { campaignWhatIf } from './scenarios/campaign-whatif.ts';
import { coldStart } from './scenarios/cold-start.ts';
import { csvImport } from './scenarios/csv-import.ts';
import { customer360 } from './scenarios/customer-360.ts';
import { customerSearch } from './scenarios/customer-search.ts';
import { hotSku } from './scenarios/hot-sku.ts';
import { insightsBaskets, insightsCohorts, insightsKpis, RUN_SUMMARY } from './scenarios/insights.ts';
import { recordSale } from './scenarios/record-sale.ts';
import { recordSaleCampaigns } from './scenarios/record-sale-campaigns.ts';
import { rfm } from './scenarios/rfm.ts';
import { segmentsScenario } from './scenarios/segments.ts';
import { subscriptions } from './scenarios/subscriptions.ts';
import { xlsxImport } from './scenarios/xlsx-import.ts';

const ALL: Scenario[] = [
  recordSale,
  recordSaleCampaigns,
  hotSku,
  customer360,
  customerSearch,
  floor,
  createCustomerOp,
  customerReadOp,
  customerListOp,
  subscriptions,
  rfm,
  insightsKpis,
  insightsBaskets,
  insightsCohorts,
  segmentsScenario,
  campaignWhatIf,
  csvImport,
  xlsxImport,
  coldStart,
];
const log = (line: string) => process.stderr.write(`${line}\n`);

const options = parseOptions(process.argv.slice(2));
const started = performance.now();
const name = options.reuse ?? (await createDatabase(options.postgresUrl));
const url = databaseUrl(options.postgresUrl, name);
let dataset: DatasetInfo | null = null;
let generatedNow = false;
let failed = false;
let compareTree: CompareTree | null = null;
let compareDb: { name: string; url: string; drop(): Promise<void> } | null = null;

try {
  if (!options.reuse) {
    log(`database ${name}: migrating`);
    await migrate(url);
    const { size } = options;
    log(`generating ${size.customers} customers, ${size.sales} sales, ${size.skus} SKUs in ${size.stores} stores`);
    const now = new Date();
    const generation = await generateDataset(url, size, now, log);
    log(`data generated in ${generation.seconds.toFixed(1)} s`);
    dataset = { size, seconds: Math.round(generation.seconds * 10) / 10, generatedAt: new Date().toISOString() };
    generatedNow = true;
    await saveDatasetInfo(url, name, dataset);
    console.log(
      JSON.stringify({
        scenario: 'data-generation',
        seconds: Math.round(generation.seconds * 10) / 10,
        counts: generation.counts,
        steps: generation.steps.map((s) => ({ ...s, seconds: Math.round(s.seconds * 10) / 10 })),
      }),
    );
  }
  if (options.compare) {
    compareTree = checkoutCompareTree(options.compare, log);
    compareDb = await prepareCompareDatabase(compareTree, options.postgresUrl, options.size, new Date(), log);
  }
  dataset ??= await readDatasetInfo(url);
  if (options.reuse && !dataset) log(`${name} does not say how it was generated: the report shows this run's --scale`);
  const postgres = await withClient(
    url,
    async (c) => `PostgreSQL ${(await c.query('SHOW server_version')).rows[0].server_version}`,
  );
  const machine = describeMachine(postgres);
  const jwtSecret = randomBytes(32).toString('hex');
  const results: ScenarioResult[] = [];
  await bringSummaryUpToDate(url, jwtSecret);

  for (const scenario of ALL.filter((s) => !options.only || options.only.includes(s.name))) {
    const profiled = options.cpuProf === scenario.name;
    const cpuProfileDir = profiled ? resolve(options.profileDir, `${scenario.name}-${Date.now()}`) : null;
    if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
    // This build, then (with --compare) the other commit's, one after the other: the same load on both.
    const builds = [{ root: ROOT, databaseUrl: url, label: scenario.name }];
    if (compareTree && compareDb) {
      builds.push({
        root: compareTree.dir,
        databaseUrl: compareDb.url,
        label: `${scenario.name} @ ${compareTree.commit}`,
      });
    }
    for (const build of builds) {
      const ctx: BenchContext = {
        options,
        root: build.root,
        databaseUrl: build.databaseUrl,
        jwtSecret,
        cpuProfileDir,
        startServer: (env) =>
          startServer({
            env,
            root: build.root,
            databaseUrl: build.databaseUrl,
            jwtSecret,
            processes: options.processes,
            cpuProfileDir,
          }),
        ownerToken: (server: ApiServer) => signIn(server),
        log: (line) => log(`  [${build.label}] ${line}`),
      };
      log(`scenario ${build.label}`);
      await quietDatabase(build.databaseUrl, (line) => ctx.log(line));
      const t0 = performance.now();
      let result: ScenarioResult;
      try {
        result = await scenario.run(ctx);
      } catch (error) {
        failed = true;
        log(`  [${build.label}] FAILED: ${(error as Error).stack ?? error}`);
        result = {
          scenario: scenario.name,
          available: true,
          measured: { error: (error as Error).message.slice(0, 2_000) },
          baseline: null,
          target: '',
          pass: false,
          summary: { measured: `harness error: ${(error as Error).message.split('\n')[0]}`, baseline: '—' },
        };
      }
      result = { ...result, scenario: build.label };
      if (cpuProfileDir) log(`  [${build.label}] CPU profiles in ${cpuProfileDir}`);
      log(`  [${build.label}] ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      results.push(result);
      const line = JSON.stringify({ ...result, summary: undefined });
      console.log(line);
      if (options.out) appendFileSync(options.out, `${line}\n`);
    }
  }

  console.log(`\n${markdownTable(results)}\n`);
  if (options.writeDocs && !options.only) {
    writeResultsToDocs(resultsSection(results, machine, options, dataset, generatedNow));
    log('results written to docs/benchmarks.md');
  } else if (options.writeDocs) {
    log('not all scenarios ran (--only): docs/benchmarks.md left as it was');
  }
  log(
    `benchmark finished in ${((performance.now() - started) / 1000).toFixed(0)} s (${SCENARIOS.length} ` +
      'scenarios known)',
  );
} catch (error) {
  failed = true;
  log(`benchmark failed: ${(error as Error).stack ?? error}`);
} finally {
  if (options.keep || options.reuse) log(`database kept: ${name} (npm run bench -- --reuse=${name})`);
  else await dropDatabase(options.postgresUrl, name).catch((e) => log(`could not drop ${name}: ${e}`));
  if (compareDb && options.keep) log(`compare database kept: ${compareDb.name}`);
  else await compareDb?.drop().catch((e) => log(`could not drop ${compareDb?.name}: ${e}`));
  compareTree?.remove();
}
process.exit(failed ? 1 : 0);

/**
 * Runs the insights summary job once before the scenarios, as a running system has it built:
 * otherwise its first build (minutes at full size) starts at the next quarter hour in whichever
 * scenario's API is up then, and slows what that scenario measures. Timed, printed, not judged.
 */
async function bringSummaryUpToDate(databaseUrl: string, jwtSecret: string): Promise<void> {
  const server = await startServer({
    env: {},
    root: ROOT,
    databaseUrl,
    jwtSecret,
    processes: null,
    cpuProfileDir: null,
  });
  try {
    const auth = `Bearer ${await signIn(server)}`;
    const t0 = performance.now();
    const r = await graphql(server, RUN_SUMMARY, {}, auth);
    if (r.errors?.length) throw new Error(`insights.summary: ${r.errors[0]!.message}`);
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    log(`insights summary brought up to date in ${seconds} s (${r.data.runScheduledJob.processed} store-days)`);
    console.log(JSON.stringify({ scenario: 'insights-summary', seconds, processed: r.data.runScheduledJob.processed }));
  } finally {
    await server.stop();
  }
}

async function signIn(server: ApiServer): Promise<string> {
  const r = await graphql<{ signIn: { token?: string; errorCode?: string } }>(
    server,
    `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token }
       ... on UserError { errorCode } } }`,
    { l: BENCH_OWNER.login, p: BENCH_OWNER.password },
  );
  const token = r.data?.signIn.token;
  if (!token) throw new Error(`the benchmark owner cannot sign in: ${JSON.stringify(r)}`);
  return token;
}

/**
 * Each scenario starts on a quiet database, whatever ran before it: the writes of the scenarios
 * before (tens of thousands of sales, customers) leave autovacuum workers and dirty buffers
 * behind, and on two cores their work lands in whichever scenario comes next. Waits (at most two
 * minutes) until no autovacuum worker runs, then checkpoints (so that no scenario pays for the
 * previous one's dirty pages).
 */
async function quietDatabase(url: string, log: (line: string) => void) {
  await withClient(url, async (c) => {
    const started = performance.now();
    const deadline = Date.now() + 120_000;
    let seen = '';
    for (;;) {
      const { rows } = await c.query<{ q: string }>(
        `SELECT coalesce(string_agg(query, '; '), '') AS q FROM pg_stat_activity
          WHERE backend_type = 'autovacuum worker'`,
      );
      if (!rows[0]!.q || Date.now() > deadline) break;
      seen ||= rows[0]!.q;
      await new Promise((r) => setTimeout(r, 500));
    }
    // Needs superuser or pg_checkpoint; without it, the quiet wait alone.
    await c.query('CHECKPOINT').catch(() => {});
    const waited = (performance.now() - started) / 1000;
    if (seen) log(`waited ${waited.toFixed(1)} s for the database to be quiet (${seen.slice(0, 200)})`);
  });
}
