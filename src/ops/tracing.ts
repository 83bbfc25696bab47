import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from '@envelop/core';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { DocumentNode } from 'graphql';
import type { Logger } from '../logger.ts';
import { describeOperation } from './operation.ts';

/**
 * OpenTelemetry tracing, on when an OTLP endpoint is configured (the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SERVICE_NAME names the
 * service). Each HTTP request is a server span that continues the caller's W3C `traceparent`; each
 * GraphQL operation a child span with its name, type and request id; Prisma adds a span per
 * database operation and statement; pg-boss its job spans. Spans leave in batches over OTLP/HTTP.
 */

const tracer = trace.getTracer('storecrm');

export interface Tracing {
  shutdown(): Promise<void>;
}

export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Registers the global tracer provider; call before the first request. Null when not configured.
 * The SDK is loaded only then: a process that does not trace does not pay for loading it.
 */
export async function startTracing(logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Tracing | null> {
  if (!tracingConfigured(env)) return null;
  const [
    { AsyncLocalStorageContextManager },
    { W3CTraceContextPropagator },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    { BatchSpanProcessor, TracerProvider },
    { PrismaInstrumentation, registerInstrumentations },
  ] = await Promise.all([
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    import('@prisma/instrumentation'),
  ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || 'storecrm',
      'service.instance.id': String(process.pid),
    }),
    // OTEL_BSP_SCHEDULE_DELAY: the standard knob for how long spans wait to be sent in a batch.
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter(),
        scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY) || undefined,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({ tracerProvider: provider, instrumentations: [new PrismaInstrumentation()] });
  logger.info(
    { endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT },
    'tracing to OTLP',
  );
  return { shutdown: () => provider.shutdown() };
}

/**
 * Runs an HTTP request's handling inside a server span that continues the caller's trace. Without a
 * registered provider the API's tracer is a no-op and this costs next to nothing.
 */
export function traceRequest(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const parent = propagation.extract(context.active(), req.headers);
  const path = (req.url ?? '/').split('?')[0]!;
  const span = tracer.startSpan(
    `${req.method} ${path}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path } },
    parent,
  );
  res.once('finish', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  res.once('close', () => span.isRecording() && span.end());
  context.with(trace.setSpan(parent, span), handle);
}

/** Envelop plugin: a span per GraphQL operation, the parent of the database spans it causes. */
export function useTracing(): Plugin<{ requestId?: string }> {
  const start = (args: {
    operationName?: string | null;
    document: DocumentNode;
    contextValue: { requestId?: string };
  }) => {
    const { name, type } = describeOperation(args.document, args.operationName);
    return tracer.startSpan(`graphql.${type} ${name}`, {
      attributes: {
        'graphql.operation.name': name,
        'graphql.operation.type': type,
        'storecrm.request_id': args.contextValue.requestId ?? '',
      },
    });
  };
  const finish = (span: Span, result: unknown) => {
    const errors = (result as { errors?: readonly { message: string }[] }).errors;
    if (errors?.length) span.setStatus({ code: SpanStatusCode.ERROR, message: errors[0]!.message });
    span.end();
  };
  return {
    onExecute: ({ args, executeFn, setExecuteFn }) => {
      const span = start(args);
      setExecuteFn((a) => context.with(trace.setSpan(context.active(), span), () => executeFn(a)));
      return { onExecuteDone: ({ result }) => finish(span, result) };
    },
    onSubscribe: ({ args, subscribeFn, setSubscribeFn }) => {
      const span = start(args);
      setSubscribeFn((a) => context.with(trace.setSpan(context.active(), span), () => subscribeFn(a)));
      return { onSubscribeResult: ({ result }) => finish(span, result) };
    },
  };
}
