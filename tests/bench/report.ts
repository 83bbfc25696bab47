import { execSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { DatasetInfo } from './dataset.ts';
import type { BenchOptions } from './options.ts';
import type { ScenarioResult } from './scenario.ts';
import { ROOT } from './server.ts';

export interface Machine {
  date: string;
  commit: string;
  cores: number;
  cpu: string;
  memoryGB: number;
  node: string;
  postgres: string;
  loadAverageAtStart: number[];
}

export function describeMachine(postgres: string): Machine {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    commit,
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(results: ScenarioResult[]): string {
  const verdict = (r: ScenarioResult) =>
    r.skipped ? 'skipped' : r.pass === null ? 'not available' : r.pass ? 'pass' : 'miss';
  return [
    '| scenario | measured | baseline (same run) | target (2 cores) | result |',
    '|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${cell(r.summary.measured)} | ${cell(r.summary.baseline)} | ${cell(r.target)} | ` +
        `${verdict(r)} |`,
    ),
  ].join('\n');
}

export function resultsSection(
  results: ScenarioResult[],
  machine: Machine,
  options: BenchOptions,
  dataset: DatasetInfo | null,
  generatedNow: boolean,
): string {
  const size = dataset?.size ?? options.size;
  const generated = !dataset
    ? ''
    : generatedNow
      ? `, generated in ${dataset.seconds.toFixed(1)} s`
      : `, generated in ${dataset.seconds.toFixed(1)} s on ${dataset.generatedAt.slice(0, 10)} (kept database, ` +
        "reused: earlier runs' sales are in it too)";
  return [
    `Run of ${machine.date.slice(0, 16).replace('T', ' ')} UTC at commit \`${machine.commit}\`, \`npm run ` +
      `bench\`${options.scaleLabel === '1' ? '' : ` at \`--scale=${options.scaleLabel}\``}:`,
    '',
    `- machine: ${machine.cores} cores (${machine.cpu}), ${machine.memoryGB} GB memory, load average ` +
      `${machine.loadAverageAtStart.join(' / ')} at the start`,
    `- Node ${machine.node}, ${machine.postgres}`,
    `- data: ${size.stores} stores, ${size.skus.toLocaleString('en')} SKUs, ` +
      `${size.customers.toLocaleString('en')} customers, ${size.sales.toLocaleString('en')} sales${generated}`,
    `- load: ${options.connections} connections (search: 4), ${options.timing.warmup} s warm-up and ` +
      `${options.timing.duration} s per measured run`,
    '',
    markdownTable(results),
  ].join('\n');
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Replaces the results block of docs/benchmarks.md; the rest of the page (how to run, findings) is kept. */
export function writeResultsToDocs(section: string) {
  const file = join(ROOT, 'docs/benchmarks.md');
  if (!existsSync(file)) throw new Error('docs/benchmarks.md is missing');
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/benchmarks.md has no ${START} … ${END} block`);
  writeFileSync(file, `${text.slice(0, start + START.length)}\n${section}\n${text.slice(end)}`);
}
