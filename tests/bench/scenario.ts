import type { BenchOptions } from './options.ts';
import type { RunLength } from './workers/protocol.ts';
import type { ApiServer } from './server.ts';

export interface ScenarioResult {
  scenario: string;
  /** False when the feature is not in this build (a plugin or endpoint still to be merged). */
  available: boolean;
  measured: Record<string, unknown>;
  baseline: Record<string, unknown> | null;
  target: string;
  /** null when not available or skipped. */
  pass: boolean | null;
  skipped?: boolean;
  /** One line each for the markdown table. */
  summary: { measured: string; baseline: string };
  notes?: string[];
}

export interface BenchContext {
  options: BenchOptions;
  /** The checkout whose API is measured: this one, or the other commit's with --compare. */
  root: string;
  databaseUrl: string;
  jwtSecret: string;
  /**
   * A fresh API process on the benchmark database (with --cpu-prof when this scenario was chosen for it);
   * `env` adds to its environment (STORE_CONFIG: other plugins installed).
   */
  startServer(env?: Record<string, string>): Promise<ApiServer>;
  /** Where this scenario's CPU profiles go, or null when it is not being profiled. */
  cpuProfileDir: string | null;
  /** A staff token of the benchmark's owner, from signIn on `server`. */
  ownerToken(server: ApiServer): Promise<string>;
  log(line: string): void;
}

export interface Scenario {
  name: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

export function notAvailable(scenario: string, target: string, why: string): ScenarioResult {
  return {
    scenario,
    available: false,
    measured: {},
    baseline: null,
    target,
    pass: null,
    summary: { measured: `not available: ${why}`, baseline: '—' },
    notes: [why],
  };
}

/** Posts a GraphQL operation; throws on HTTP or GraphQL errors unless `raw`. */
export async function graphql<T = any>(
  server: ApiServer,
  query: string,
  variables: Record<string, unknown>,
  authorization?: string,
): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  if (!res.ok && res.status !== 400) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`);
  return (await res.json()) as { data?: T; errors?: { message: string }[] };
}

/** The length of a load run from the options; `share` shortens it (a scenario with several runs). */
export function runLength(options: BenchOptions, share = 1): RunLength {
  const { warmup, duration, requests } = options.timing;
  return {
    warmupSeconds: warmup,
    durationSeconds: duration * share,
    requests: requests === null ? null : Math.ceil(requests * share),
  };
}
