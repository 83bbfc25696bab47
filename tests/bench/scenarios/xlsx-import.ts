import { randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAsBlob } from 'node:fs';
import ExcelJS from 'exceljs';
import { HEADERS } from '../../../src/customers/export.ts';
import { CUSTOMER_TAGS, GIVEN_FEMALE, GIVEN_MALE, SURNAMES } from '../../../src/demo/catalog.ts';
import { notAvailable, type BenchContext, type Scenario, type ScenarioResult } from '../scenario.ts';
import { MB, round } from '../stats.ts';

const TARGET = '≤ 90 s, peak RSS ≤ 450 MB';
/** Mobile prefixes neither the generated customers, the tests nor the CSV scenario use: every phone is new. */
const PREFIXES = ['145', '147', '149', '165', '167', '171', '172', '175', '177', '199'];

/**
 * A customer workbook as Excel saves it: shared strings, phones as text cells, dates as dates.
 * Written with exceljs's streaming writer, so making it does not weigh on the figures.
 */
async function writeCustomerWorkbook(path: string, rows: number) {
  const pick = <T>(list: readonly T[]) => list[randomInt(list.length)]!;
  const offset = randomInt(100_000_000);
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: true, useStyles: true });
  const sheet = book.addWorksheet('会员');
  sheet.columns = HEADERS['zh-CN'].map((h, i) => ({
    header: h,
    key: String(i),
    style: i === 2 ? { numFmt: '@' } : {},
  }));
  for (let i = 0; i < rows; i++) {
    const female = Math.random() < 0.62;
    sheet
      .addRow([
        '',
        pick(SURNAMES) + pick(female ? GIVEN_FEMALE : GIVEN_MALE),
        PREFIXES[i % PREFIXES.length]! + String((i * 73_939_133 + offset) % 100_000_000).padStart(8, '0'),
        Math.random() < 0.3 ? `xlsx${i}@example.cn` : '',
        female ? '女' : '男',
        new Date(Date.UTC(1960 + randomInt(45), randomInt(12), 1 + randomInt(28))),
        '门店',
        pick(CUSTOMER_TAGS),
        '',
        '',
        '',
        '',
        '',
        Math.random() < 0.6 ? '是' : '否',
        Math.random() < 0.75 ? '是' : '否',
        '',
      ])
      .commit();
  }
  sheet.commit();
  await book.commit();
}

/**
 * Import of new customers from an .xlsx workbook: `POST /imports/customers` as an owner, the body
 * the workbook. Timed to the response; the server's resident memory is sampled every 50 ms for its
 * peak. The workbook is read streamed (shared strings kept, rows one at a time), so memory should
 * stay near the CSV import's for the same rows.
 */
export const xlsxImport: Scenario = {
  name: 'xlsx-import',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rows = ctx.options.size.importCustomers;
    const path = join(tmpdir(), `storecrm-bench-${process.pid}-${randomInt(1e9)}.xlsx`);
    await writeCustomerWorkbook(path, rows);
    const server = await ctx.startServer();
    try {
      const authorization = `Bearer ${await ctx.ownerToken(server)}`;
      const body = await openAsBlob(path);
      const rssBefore = server.rss();
      let peak = rssBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 50);
      ctx.log(`API: POST /imports/customers with ${rows} customers in a workbook (${round(body.size / MB, 1)} MB)`);
      const t0 = performance.now();
      let status: number;
      let text: string;
      try {
        const res = await fetch(`${server.url}/imports/customers`, {
          method: 'POST',
          headers: {
            authorization,
            'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          },
          body,
        });
        status = res.status;
        text = await res.text();
      } finally {
        clearInterval(sampler);
      }
      const seconds = round((performance.now() - t0) / 1000, 2);
      peak = Math.max(peak, server.rss());
      if (status === 404) return notAvailable('xlsx-import', TARGET, 'POST /imports/customers answers 404');
      if (status < 200 || status >= 300) throw new Error(`import answered ${status}: ${text.slice(0, 500)}`);
      const peakMB = Math.round(peak / MB);
      return {
        scenario: 'xlsx-import',
        available: true,
        measured: {
          rows,
          megabytes: round(body.size / MB, 1),
          seconds,
          rowsPerSecond: Math.round(rows / seconds),
          peakRssMB: peakMB,
          rssBeforeMB: Math.round(rssBefore / MB),
          response: text.slice(0, 300),
        },
        baseline: null,
        target: TARGET,
        pass: seconds <= 90 && peakMB <= 450,
        summary: {
          measured:
            `${rows} customers from a ${round(body.size / MB, 1)} MB workbook in ${seconds} s ` +
            `(${Math.round(rows / seconds)}/s), peak RSS ${peakMB} MB`,
          baseline: '—',
        },
      };
    } finally {
      await server.stop();
      await rm(path, { force: true });
    }
  },
};
