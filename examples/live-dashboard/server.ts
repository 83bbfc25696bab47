// The live dashboard as a web page: every sale of the chain as it is committed (graphql-ws in the
// browser), today's revenue per store and a chart of sales per hour.
//
//   npm start                                       # the API, in another terminal
//   npx tsx examples/live-dashboard/server.ts       # then open http://localhost:4400
//
// The page is plain HTML and an ES module; graphql-ws's browser build is served from
// node_modules as it is (no bundler). The same feed in a terminal: terminal.ts beside this file.
//
// DEMO: this server signs in for whoever opens the page (LOGIN / PASSWORD, default the demo
// owner) and hands the page that staff token. A real dashboard lets the staff member sign in
// on the page. It listens on 127.0.0.1 only.
//
// ENDPOINT (default http://localhost:4000/graphql), LOGIN, PASSWORD and PORT (default 4400).
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ENDPOINT } from '../endpoint.ts';
import { graphqlRequest, sendJson, serveFile } from '../web.ts';

const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));
const OPERATIONS = fileURLToPath(new URL('../operations/', import.meta.url));
const resolved = createRequire(import.meta.url).resolve('graphql-ws');
const GRAPHQL_WS_BROWSER = `${resolved.slice(0, resolved.lastIndexOf('/dist/'))}/umd/graphql-ws.min.js`;

export interface DashboardOptions {
  endpoint: string;
  login: string;
  password: string;
}

const SIGN_IN = `mutation SignIn($login: String!, $password: String!) {
  signIn(login: $login, password: $password) {
    ... on SignInPayload { token }
    ... on UserError { message }
  }
}`;

export function createDashboardServer(options: DashboardOptions) {
  let session: { token: string; until: number } | null = null;
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method !== 'GET') return sendJson(res, 405, { message: 'GET only' });
      if (url.pathname === '/api/session') {
        // One sign-in, kept for 10 minutes: page loads do not count against sign-in throttling.
        if (!session || session.until < Date.now()) {
          const data = await graphqlRequest<{ signIn: { token?: string; message?: string } }>(
            options.endpoint,
            '',
            SIGN_IN,
            { login: options.login, password: options.password },
          );
          if (!data.signIn.token) return sendJson(res, 401, { message: data.signIn.message });
          session = { token: data.signIn.token, until: Date.now() + 10 * 60_000 };
        }
        return sendJson(res, 200, { endpoint: options.endpoint, token: session.token });
      }
      if (url.pathname === '/vendor/graphql-ws.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        return res.end(await readFile(GRAPHQL_WS_BROWSER));
      }
      if (url.pathname.startsWith('/operations/')) {
        if (await serveFile(OPERATIONS, url.pathname.slice('/operations'.length), res)) return;
      }
      if (await serveFile(PUBLIC, url.pathname, res)) return;
      sendJson(res, 404, { message: 'not found' });
    } catch (error) {
      sendJson(res, 502, { message: `API: ${(error as Error).message}` });
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 4400);
  const server = createDashboardServer({
    endpoint: ENDPOINT,
    login: process.env.LOGIN ?? '13800000001',
    password: process.env.PASSWORD ?? 'demo-owner-1',
  });
  server.listen(port, '127.0.0.1', () => {
    console.log('DEMO: this server signs in as the demo owner for whoever opens the page; keep it on this machine.');
    console.log(`live dashboard: listening on http://localhost:${port} (API ${ENDPOINT})`);
  });
}
