// How a POS integration talks to the API: find its store, record a sale, and retry safely.
//
//   npm start                       # in another terminal (demo data on first start)
//   npx tsx examples/pos-client.ts  # uses the demo POS key of 北京三里屯店
//
// ENDPOINT (default http://localhost:4000/graphql), API_KEY and STORE_CODE change what it talks to.
//
// The receipt number is the sale's externalId: if the network drops after the POS sent a
// sale, sending it again returns the sale already recorded instead of recording it twice.
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { ENDPOINT, main } from './endpoint.ts';
import { RecordSaleDocument, type RecordSaleMutationVariables } from './generated/operations.ts';

export async function request<R, V>(
  endpoint: string,
  apiKey: string,
  document: TypedDocumentNode<R, V> | string,
  variables?: V,
): Promise<R> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, 'accept-language': 'zh-CN' },
    body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
  });
  const body = (await response.json()) as { data?: R; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

/** Records a sale; on a network failure it sends the very same sale again (same externalId). */
export async function recordSale(
  endpoint: string,
  apiKey: string,
  input: RecordSaleMutationVariables['input'],
  attempts = 3,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      const { recordSale: result } = await request(endpoint, apiKey, RecordSaleDocument, { input });
      if (result?.__typename !== 'RecordSalePayload') {
        throw new Error(result && 'message' in result ? `${result.errorCode}: ${result.message}` : 'no result');
      }
      return result;
    } catch (error) {
      if (attempt >= attempts || !(error instanceof TypeError)) throw error; // TypeError: fetch failed (network)
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(async () => {
    const endpoint = ENDPOINT;
    const apiKey = process.env.API_KEY ?? 'sk_demo_pos_beijing_sanlitun';
    const { store } = await request<{ store: { id: string; name: string } | null }, { code: string }>(
      endpoint,
      apiKey,
      'query($code: String!) { store(code: $code) { id name } }',
      { code: process.env.STORE_CODE ?? 'BJ-SLT' },
    );
    if (!store) throw new Error('store not found');
    const input = {
      storeId: store.id,
      externalId: `POS-01-${Date.now()}`,
      lines: [
        { sku: 'DR-002', quantity: 2 },
        { sku: 'SN-004', quantity: 1 },
      ],
      payments: [{ method: 'WECHAT_PAY' as const, amount: '17.50' }],
    };
    const first = await recordSale(endpoint, apiKey, input);
    const again = await recordSale(endpoint, apiKey, input);
    console.log(
      `${store.name}: sale ${first.sale.id} total ¥${first.sale.total}; sent again → ` +
        `replayed=${again.replayed}, same sale: ${again.sale.id === first.sale.id}`,
    );
  });
}
