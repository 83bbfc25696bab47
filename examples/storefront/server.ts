// A member page and the merchant backend behind it, in one small node:http server.
//
//   npm start                                  # the API, in another terminal (demo data on first start)
//   npx tsx examples/storefront/server.ts      # then open http://localhost:4300
//
// The backend holds the integration key (DEMO_STOREFRONT_KEY of the demo data, a MANAGER key of
// 北京三里屯店) and exchanges a customer it verified for a short-lived customer token
// (`issueCustomerToken`); the page uses that token against the API directly (`myAccount`).
// The key never reaches the browser. Walkthrough: docs/storefront.md.
//
// !!! DEMO ONLY: this backend does NOT verify the phone number. A real backend sends an SMS code
// !!! (or uses wx.login / getPhoneNumber) and asks for a token only once the customer proved the
// !!! number is theirs. As written, anyone who can reach this server can read any member's account.
// !!! That is why it listens on 127.0.0.1 only.
//
// ENDPOINT (default http://localhost:4000/graphql), INTEGRATION_KEY, PORT (default 4300) and
// DEMO_MEMBER_CODE (the member the "演示会员" button picks) change what it does.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import { ENDPOINT } from '../endpoint.ts';
import { graphqlRequest, readJson, sendJson, serveFile } from '../web.ts';

const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));
const OPERATIONS = fileURLToPath(new URL('../operations/', import.meta.url));

export interface StorefrontOptions {
  endpoint: string;
  integrationKey: string;
  demoMemberCode: string;
}

const ISSUE = `mutation Issue($input: IssueCustomerTokenInput!) {
  issueCustomerToken(input: $input) {
    ... on CustomerToken { token expiresAt }
    ... on UserError { errorCode message }
  }
}`;

export function createStorefrontServer(options: StorefrontOptions) {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'POST' && url.pathname === '/api/session') {
        // A real backend checks here that the customer proved the number (an SMS code it sent,
        // a WeChat login). This demo takes the number at its word: DEMO ONLY.
        const body = await readJson(req);
        const phone = typeof body?.phone === 'string' ? body.phone.trim() : '';
        if (!/^1\d{10}$/.test(phone)) return sendJson(res, 400, { message: '请输入 11 位手机号' });
        const data = await graphqlRequest<{
          issueCustomerToken: { token?: string; expiresAt?: string; errorCode?: string; message?: string };
        }>(options.endpoint, options.integrationKey, ISSUE, { input: { phone, ttlMinutes: 30 } });
        const issued = data.issueCustomerToken;
        if (!issued.token) return sendJson(res, 404, { errorCode: issued.errorCode, message: issued.message });
        // The token goes to the page, the key does not. The API's address is public anyway.
        return sendJson(res, 200, { token: issued.token, expiresAt: issued.expiresAt, endpoint: options.endpoint });
      }
      if (req.method === 'GET' && url.pathname === '/api/demo-member') {
        // Demo convenience: the phone of a demo member, so there is someone to sign in as. The key
        // sees phones masked (138****1234); revealing one is allowed to a MANAGER and audited.
        const found = await graphqlRequest<{ memberLookup: { customer: { id: string; name: string } }[] }>(
          options.endpoint,
          options.integrationKey,
          'query DemoMember($code: String!) { memberLookup(code: $code) { customer { id name } } }',
          { code: options.demoMemberCode },
        );
        const customer = found.memberLookup[0]?.customer;
        if (!customer) return sendJson(res, 404, { message: `没有会员 ${options.demoMemberCode}` });
        const revealed = await graphqlRequest<{ revealCustomerContact: { phone?: string | null; message?: string } }>(
          options.endpoint,
          options.integrationKey,
          `mutation DemoPhone($id: ID!) { revealCustomerContact(customerId: $id, reason: "会员中心示例：演示登录") {
             ... on CustomerContact { phone } ... on UserError { message } } }`,
          { id: customer.id },
        );
        const phone = revealed.revealCustomerContact.phone;
        if (!phone) return sendJson(res, 404, { message: revealed.revealCustomerContact.message ?? '没有手机号' });
        return sendJson(res, 200, { name: customer.name, phone });
      }
      if (req.method === 'GET' && url.pathname === '/api/qr.svg') {
        // The member code as a QR code, drawn here as SVG (the `qrcode` package).
        const text = url.searchParams.get('text') ?? '';
        if (!text || text.length > 64) return sendJson(res, 400, { message: 'text: 1–64 characters' });
        const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
        res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' });
        return res.end(svg);
      }
      if (req.method === 'GET' && url.pathname.startsWith('/operations/')) {
        if (await serveFile(OPERATIONS, url.pathname.slice('/operations'.length), res)) return;
      }
      if (req.method === 'GET' && (await serveFile(PUBLIC, url.pathname, res))) return;
      sendJson(res, 404, { message: 'not found' });
    } catch (error) {
      sendJson(res, 502, { message: `API: ${(error as Error).message}` });
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.PORT ?? 4300);
  const server = createStorefrontServer({
    endpoint: ENDPOINT,
    integrationKey: process.env.INTEGRATION_KEY ?? 'sk_demo_storefront_beijing_sanlitun',
    demoMemberCode: process.env.DEMO_MEMBER_CODE ?? '880010000037',
  });
  server.listen(port, '127.0.0.1', () => {
    console.log('DEMO ONLY: this backend does not verify phone numbers; never expose it beyond this machine.');
    console.log(`storefront: listening on http://localhost:${port} (API ${ENDPOINT})`);
  });
}
