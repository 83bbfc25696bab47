// An existing POS's day of sales into the CRM: reads the POS's export, sends each receipt with
// `recordSale`, and can be run again over the same file at any time.
//
//   npm start                                    # in another terminal (demo data on first start)
//   npx tsx examples/pos-sync/sync.ts            # the sample export, with the demo POS key
//   npx tsx examples/pos-sync/sync.ts 导出.csv    # another export of the same shape
//
// ENDPOINT (default http://localhost:4000/graphql) and API_KEY (default the demo key of
// 北京三里屯店) change what it talks to. The walkthrough: docs/pos-integration.md.
//
// - The POS's receipt number is the sale's externalId: a receipt the CRM already has is answered
//   `replayed: true` and counted once, so a run interrupted anywhere is finished by running again.
// - A network error, a 502/503/504/429, or a GraphQL error marked TRY_AGAIN is sent again, the very
//   same request, after an exponential backoff with full jitter; nothing else is retried.
// - A receipt the CRM refuses (an unknown barcode, a price its rules disagree with) is reported
//   and the others go on; the exit code is 1 when any was refused.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ENDPOINT, main } from '../endpoint.ts';
import { RecordSaleDocument } from '../generated/operations.ts';
import { decodeExport, readExport, STORE_CODES, toSaleInput, yuan } from './pos-export.ts';

export const SAMPLE_EXPORT = fileURLToPath(new URL('./sales-2026-12-01.csv', import.meta.url));

export interface RetryOptions {
  /** Attempts in all, the first included (default 6). */
  attempts?: number;
  /** First delay's ceiling in ms, doubled each attempt (default 500), capped at maxDelayMs (default 15 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Gives up on one attempt after this long (default 20 s) and sends it again. */
  timeoutMs?: number;
  onRetry?: (attempt: number, reason: string, delayMs: number) => void;
}

/** A failure worth sending the same request again for. */
class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * One GraphQL request, sent again on what is safe to send again. Safe because every mutation
 * this sends is idempotent (recordSale by externalId): when the answer is lost after the CRM
 * committed, the next attempt is answered with the sale already recorded.
 */
export async function graphql<R, V>(
  endpoint: string,
  apiKey: string,
  document: TypedDocumentNode<R, V> | string,
  variables: V,
  retry: RetryOptions = {},
): Promise<R> {
  const attempts = retry.attempts ?? 6;
  const base = retry.baseDelayMs ?? 500;
  const cap = retry.maxDelayMs ?? 15_000;
  const body = JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables });
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce<R>(endpoint, apiKey, body, retry.timeoutMs ?? 20_000);
    } catch (error) {
      const retryable =
        error instanceof Retryable ||
        // fetch reports a refused, reset or dropped connection as a TypeError ("fetch failed")
        error instanceof TypeError ||
        (error instanceof DOMException && error.name === 'TimeoutError');
      if (!retryable || attempt >= attempts) throw error;
      // Full jitter (a random delay up to the exponential ceiling): many tills coming back after
      // an outage do not all retry in the same instant.
      const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
      const delay = Math.max((error as Retryable).retryAfterMs ?? 0, Math.round(Math.random() * ceiling));
      const code = (error as { cause?: { code?: string } }).cause?.code;
      retry.onRetry?.(attempt, `${(error as Error).message}${code ? ` ${code}` : ''}`, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function attemptOnce<R>(endpoint: string, apiKey: string, body: string, timeoutMs: number): Promise<R> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'accept-language': 'zh-CN' },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if ([429, 502, 503, 504].includes(response.status)) {
    const seconds = Number(response.headers.get('retry-after'));
    await response.body?.cancel();
    throw new Retryable(`HTTP ${response.status}`, Number.isFinite(seconds) ? seconds * 1000 : undefined);
  }
  let parsed: { data?: R; errors?: { message: string; extensions?: { code?: string; retryable?: boolean } }[] };
  try {
    parsed = await response.json();
  } catch {
    // A cut-off or garbled answer: the request may or may not have been taken; asking again is safe.
    throw new Retryable(`HTTP ${response.status}: not a GraphQL answer`);
  }
  if (parsed.errors?.length) {
    const message = parsed.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; ');
    if (parsed.errors.some((e) => e.extensions?.code === 'TRY_AGAIN' || e.extensions?.retryable)) {
      throw new Retryable(message);
    }
    throw new Error(message);
  }
  return parsed.data!;
}

export interface SyncReport {
  receipts: number;
  recorded: number;
  /** Already in the CRM from an earlier run (or an earlier attempt whose answer was lost). */
  replayed: number;
  failed: { receiptNo: string; reason: string }[];
  /** Σ of the receipts the CRM holds after this run, in yuan. */
  total: string;
}

/** Sends every receipt of an export, one after the other, in the order of the file. */
export async function syncExport(
  file: string,
  options: { endpoint: string; apiKey: string; retry?: RetryOptions; log?: (line: string) => void },
): Promise<SyncReport> {
  const log = options.log ?? (() => {});
  const receipts = readExport(decodeExport(await readFile(file)));
  const stores = new Map<string, { id: string; timezone: string }>();
  const report: SyncReport = { receipts: receipts.length, recorded: 0, replayed: 0, failed: [], total: '0.00' };
  let totalFen = 0;
  for (const receipt of receipts) {
    const code = STORE_CODES[receipt.store];
    if (!code) {
      report.failed.push({ receiptNo: receipt.receiptNo, reason: `门店 "${receipt.store}" has no store code` });
      continue;
    }
    let store = stores.get(code);
    if (!store) {
      const data = await graphql<{ store: { id: string; timezone: string } | null }, { code: string }>(
        options.endpoint,
        options.apiKey,
        'query StoreByCode($code: String!) { store(code: $code) { id timezone } }',
        { code },
        options.retry,
      );
      if (!data.store) throw new Error(`store ${code} is not one this key may write to`);
      store = data.store;
      stores.set(code, store);
    }
    const input = toSaleInput(receipt, store);
    const { recordSale: result } = await graphql(
      options.endpoint,
      options.apiKey,
      RecordSaleDocument,
      { input },
      options.retry,
    );
    if (result.__typename === 'RecordSalePayload') {
      if (result.replayed) report.replayed++;
      else report.recorded++;
      totalFen += Math.round(Number(result.sale.total) * 100);
      log(
        `${receipt.receiptNo} ${result.replayed ? '已记录过' : '已记录'} ¥${result.sale.total} ` +
          `营业日 ${result.sale.businessDate}${result.sale.member ? ` 会员 ${result.sale.member.code}` : ''}`,
      );
    } else {
      // Every other answer is a typed error (UserError): its code and message say why.
      const reason = `${result.errorCode}: ${result.message}`;
      report.failed.push({ receiptNo: receipt.receiptNo, reason });
      log(`${receipt.receiptNo} 未记录：${reason}`);
    }
  }
  report.total = yuan(totalFen);
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(async () => {
    const file = process.argv[2] ?? SAMPLE_EXPORT;
    const report = await syncExport(file, {
      endpoint: ENDPOINT,
      apiKey: process.env.API_KEY ?? 'sk_demo_pos_beijing_sanlitun',
      retry: {
        baseDelayMs: Number(process.env.RETRY_BASE_MS ?? 500),
        onRetry: (attempt, reason, delay) => console.log(`  第 ${attempt} 次未成功（${reason}），${delay} ms 后重发`),
      },
      log: (line) => console.log(line),
    });
    console.log(
      `共 ${report.receipts} 张小票：新记录 ${report.recorded} 张，此前已记录 ${report.replayed} 张，` +
        `未记录 ${report.failed.length} 张；合计 ¥${report.total}`,
    );
    if (report.failed.length) process.exitCode = 1;
  });
}
