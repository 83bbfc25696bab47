import { randomInt } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { HEADERS } from '../../../src/customers/export.ts';
import { CUSTOMER_TAGS, GIVEN_FEMALE, GIVEN_MALE, SURNAMES } from '../../../src/demo/catalog.ts';
import { notAvailable, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { MB, round } from '../stats.ts';

const TARGET = '≤ 60 s, peak RSS ≤ 400 MB';
/** Mobile prefixes the generated customers (and the tests' 130–132) never use: every imported phone is new. */
const IMPORT_PREFIXES = ['166', '173', '176', '178', '180', '181', '183', '185', '191', '198'];

/** A customer file as a chain would bring it from Excel, with the export's zh-CN headers. */
export function customerCsv(rows: number): string {
  const pick = <T>(list: readonly T[]) => list[randomInt(list.length)]!;
  const offset = randomInt(100_000_000);
  const records = Array.from({ length: rows }, (_, i) => {
    const female = Math.random() < 0.62;
    const phone =
      IMPORT_PREFIXES[i % IMPORT_PREFIXES.length]! + String((i * 73_939_133 + offset) % 100_000_000).padStart(8, '0');
    const birthday = new Date(Date.UTC(1960 + randomInt(45), randomInt(12), 1 + randomInt(28)))
      .toISOString()
      .slice(0, 10);
    const tags = [...new Set([pick(CUSTOMER_TAGS), ...(Math.random() < 0.4 ? [pick(CUSTOMER_TAGS)] : [])])].join('|');
    // 顾客编号 … 建档时间: new customers have no id, card or purchase figures yet.
    return [
      '',
      pick(SURNAMES) + pick(female ? GIVEN_FEMALE : GIVEN_MALE),
      phone,
      Math.random() < 0.3 ? `import${i}@example.cn` : '',
      female ? 'FEMALE' : 'MALE',
      birthday,
      'IMPORT',
      tags,
      '',
      '',
      '',
      '',
      '',
      Math.random() < 0.6 ? 'Y' : 'N',
      Math.random() < 0.75 ? 'Y' : 'N',
      '',
    ];
  });
  return stringify(records, { header: true, columns: HEADERS['zh-CN'], bom: true });
}

/**
 * Import of new customers from a CSV file: `POST /imports/customers.csv` as an owner, the body
 * the file. Timed to the response; the server's resident memory is sampled every 50 ms for its
 * peak. Not available while the endpoint answers 404.
 */
export const csvImport: Scenario = {
  name: 'csv-import',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rows = ctx.options.size.importCustomers;
    const csv = customerCsv(rows);
    const server = await ctx.startServer();
    try {
      const authorization = `Bearer ${await ctx.ownerToken(server)}`;
      const rssBefore = server.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 50);
      ctx.log(`API: POST /imports/customers.csv with ${rows} customers (${round(Buffer.byteLength(csv) / MB, 1)} MB)`);
      const t0 = performance.now();
      let status: number;
      let body: string;
      try {
        const res = await fetch(`${server.url}/imports/customers.csv`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'text/csv; charset=utf-8' },
          body: csv,
        });
        status = res.status;
        body = await res.text();
      } finally {
        clearInterval(sampler);
      }
      const seconds = round((performance.now() - t0) / 1000, 2);
      peak = Math.max(peak, server.rss());
      if (status === 404) return notAvailable('csv-import', TARGET, 'POST /imports/customers.csv answers 404');
      if (status < 200 || status >= 300) throw new Error(`import answered ${status}: ${body.slice(0, 500)}`);
      const peakMB = Math.round(peak / MB);
      return {
        scenario: 'csv-import',
        available: true,
        measured: {
          rows,
          seconds,
          rowsPerSecond: Math.round(rows / seconds),
          peakRssMB: peakMB,
          rssBeforeMB: Math.round(rssBefore / MB),
          response: body.slice(0, 300),
        },
        baseline: null,
        target: TARGET,
        pass: seconds <= 60 && peakMB <= 400,
        summary: {
          measured: `${rows} customers in ${seconds} s (${Math.round(rows / seconds)}/s), peak RSS ${peakMB} MB`,
          baseline: '—',
        },
      };
    } finally {
      await server.stop();
    }
  },
};
