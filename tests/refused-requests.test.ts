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
