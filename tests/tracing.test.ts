import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiProcess, type ApiProcess } from './helpers/process.ts';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: number } }[];
}

// An API process with OTEL_EXPORTER_OTLP_ENDPOINT set sends its spans to an OTLP/HTTP collector:
// here a small HTTP server that keeps what it receives.
describe('OpenTelemetry tracing', () => {
  const spans: ExportedSpan[] = [];
  let collector: Server;
  let api: ApiProcess;
  const dataDir = mkdtempSync(join(tmpdir(), 'storecrm-tracing-'));

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url === '/v1/traces') {
          const payload = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[] };
          for (const rs of payload.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const port = (collector.address() as { port: number }).port;
    api = await startApiProcess({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'storecrm-test',
      DATABASE_URL: '', // the embedded database, in a folder of its own
      DATA_DIR: dataDir,
      DEMO_DATA: 'off',
      // No Redis: the sign-in throttle would count this wrong password with every other process
      // test's under the same key prefix, and lock 127.0.0.1 out in the second pass.
      REDIS_URL: '',
    });
  });
  afterAll(async () => {
    await api?.stop();
    await new Promise((r) => collector?.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("continues the caller's trace: server span, the GraphQL operation under it, database spans under it", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await fetch(`http://127.0.0.1:${api.port}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpan}-01`,
        'x-request-id': 'trace-test-1',
      },
      body: JSON.stringify({
        query: 'mutation SignIn { signIn(login: "13800000009", password: "wrong-password") { __typename } }',
      }),
    });
    expect((await res.json()).data.signIn.__typename).toBe('InvalidInputError');

    const inTrace = () => spans.filter((s) => s.traceId === traceId);
    const attr = (s: ExportedSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;
    const deadline = Date.now() + 10_000;
    const find = () => {
      const server = inTrace().find((s) => s.parentSpanId === callerSpan);
      const operation =
        server && inTrace().find((s) => s.parentSpanId === server.spanId && s.name === 'graphql.mutation SignIn');
      const below = (root: ExportedSpan): ExportedSpan[] =>
        inTrace()
          .filter((s) => s.parentSpanId === root.spanId)
          .flatMap((c) => [c, ...below(c)]);
      const database = operation ? below(operation).filter((s) => s.name.startsWith('prisma:')) : [];
      return { server, operation, database };
    };
    let found = find();
    while ((!found.operation || !found.database.length) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      found = find();
    }
    expect(found.server?.name).toBe('POST /graphql');
    expect(attr(found.server!, 'http.response.status_code')).toEqual({ intValue: 200 });
    expect(found.operation).toBeDefined();
    expect(attr(found.operation!, 'storecrm.request_id')).toEqual({ stringValue: 'trace-test-1' });
    expect(found.database.map((s) => s.name)).toContain('prisma:client:operation');
  });
});
