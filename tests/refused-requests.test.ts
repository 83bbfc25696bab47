import { connect } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';

/** Sends bytes as they are (no client library would send a raw UTF-8 URL) and returns the answer. */
function rawRequest(port: number, request: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe('requests refused before the app sees them', () => {
  let t: TestApp;
  let port: number;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    t = await startTestApp({ seed: false, app: { logger } });
    port = await t.app.listen(0, '127.0.0.1');
  });
  afterAll(() => t?.close());

  it('answers a raw UTF-8 URL with a 400 that says what to do, and logs it', async () => {
    const answer = await rawRequest(
      port,
      Buffer.concat([
        Buffer.from('GET /exports/customers.csv?tag='),
        Buffer.from('母婴', 'utf8'),
        Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
      ]),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(/percent-encode/);
    const logged = lines.find((l) => l.msg === 'HTTP request refused before parsing finished');
    expect(logged).toMatchObject({ level: 40, code: expect.stringMatching(/^HPE_/) });
    expect(String(logged?.requestLine)).toContain('/exports/customers.csv?tag=');
  });

  it('still serves the same request percent-encoded', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/exports/customers.csv?tag=${encodeURIComponent('母婴')}`);
    expect(res.status).toBe(401); // reached the app: it asks for credentials
  });
});

describe('GraphQL requests past the size limit', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({ seed: false, app: { graphqlMaxBytes: 4096 } });
    port = await t.app.listen(0, '127.0.0.1');
  });
  afterAll(() => t?.close());

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'en', ...headers },
      body,
    });

  it('refuses a body over the limit with 413 before reading it, and still answers small ones', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(5000) } });
    const refused = await post(big);
    expect(refused.status).toBe(413);
    expect((await refused.json()).errors[0]).toMatchObject({
      extensions: { code: 'REQUEST_TOO_LARGE' },
      message: expect.stringContaining('4096 bytes'),
    });
    const ok = await post(JSON.stringify({ query: '{ __typename }' }));
    expect(await ok.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('refuses a chunked body (no Content-Length) with 411', async () => {
    const answer = await rawRequest(
      port,
      Buffer.from(
        'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
          '1a\r\n{"query":"{ __typename }"}\r\n0\r\n\r\n',
      ),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 411 /);
    expect(answer).toContain('LENGTH_REQUIRED');
  });

  it('closes a WebSocket that sends a message over the limit', async () => {
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(5000) } }));
    expect(await closed).toBe(1009); // message too big
  });
});
