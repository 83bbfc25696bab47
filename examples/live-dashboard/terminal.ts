// A live dashboard's feed: every sale of the chain as it is committed, over graphql-ws.
//
//   npx tsx examples/live-dashboard/terminal.ts   # signs in as the demo owner; Ctrl-C to stop
//
// ENDPOINT (default http://localhost:4000/graphql), LOGIN and PASSWORD change what it talks to.
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ENDPOINT, main } from '../endpoint.ts';
import { LiveSalesDocument } from '../generated/operations.ts';

const http = ENDPOINT;
let signIn: Response | undefined;
await main(async () => {
  signIn = await fetch(http, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) { ... on SignInPayload { token } ' +
        '... on UserError { message } } }',
      variables: { l: process.env.LOGIN ?? '13800000001', p: process.env.PASSWORD ?? 'demo-owner-1' },
    }),
  });
});
const { data } = (await signIn!.json()) as { data: { signIn: { token?: string; message?: string } } };
if (!data.signIn.token) throw new Error(data.signIn.message);

const client = createClient({
  url: http.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${data.signIn.token}` },
});
client.subscribe(
  { query: print(LiveSalesDocument), variables: {} },
  {
    next: ({ data: event }) => {
      const sale = (
        event as {
          saleRecorded: { store: { name: string }; total: string; lines: { sku: string; quantity: number }[] };
        }
      ).saleRecorded;
      const lines = sale.lines.map((l) => `${l.sku}×${l.quantity}`).join(' ');
      console.log(`${new Date().toLocaleTimeString('zh-CN')} ${sale.store.name} ¥${sale.total} ${lines}`);
    },
    error: (err) => console.error(err),
    complete: () => console.log('done'),
  },
);
console.log('listening for sales…');
