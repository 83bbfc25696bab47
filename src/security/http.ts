import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Plugin } from '@envelop/core';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin as YogaPlugin } from 'graphql-yoga';
import { withRequestScope } from '../db/cancel.ts';

/**
 * HTTP hardening around /graphql (docs/security.md, "HTTP hardening"):
 * - operations are read only from `application/json` (and the GraphQL media types) POSTs and
 *   GET queries: a form or multipart POST, which a browser sends cross-site without asking
 *   (CSRF), is refused with 415 before it is parsed;
 * - introspection can be switched off (production's default);
 * - an operation's database work stops when its client goes away (src/db/cancel.ts);
 * - /metrics can ask for a bearer token.
 */
const OPERATION_MEDIA_TYPES = ['application/json', 'application/graphql-response+json', 'application/graphql'];

export function useOperationMediaTypes(): YogaPlugin {
  return {
    onRequestParse: ({ request, endResponse }) => {
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (OPERATION_MEDIA_TYPES.includes(type)) return;
      endResponse(
        new Response(
          JSON.stringify({
            errors: [
              {
                message: `Operations are accepted as ${OPERATION_MEDIA_TYPES.join(', ')} only`,
                extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
              },
            ],
          }),
          { status: 415, headers: { 'content-type': 'application/json; charset=utf-8' } },
        ),
      );
    },
  };
}

/** Refuses `__schema` and `__type` (not `__typename`) when introspection is off. */
export function useNoIntrospection(): Plugin {
  return {
    onValidate: ({ addValidationRule }) => {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/** Runs each operation's execution in its request's scope, so that its statements stop with the request. */
export function useCancelWithRequest(): Plugin {
  return {
    instrumentation: {
      execute: ({ context }, wrapped) =>
        withRequestScope((context as { request?: Request } | undefined)?.request?.signal, wrapped),
    },
  };
}

/** True when /metrics may be answered: no token configured, or the request carries it. */
export function metricsAllowed(req: IncomingMessage, token: string | null | undefined): boolean {
  if (!token) return true;
  const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The client's address: the socket's peer, or (behind a trusted proxy) the last X-Forwarded-For hop. */
export function clientAddressOf(
  req: IncomingMessage | undefined,
  request: Request | undefined,
  trustProxy: boolean,
): string {
  if (trustProxy) {
    const forwarded =
      request?.headers.get('x-forwarded-for') ?? (req?.headers['x-forwarded-for'] as string | undefined);
    const last = forwarded?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return req?.socket?.remoteAddress ?? 'unknown';
}

/** The error of a caller over the request limit: 429 with Retry-After, a code and the seconds. */
export function rateLimitedError(message: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds,
      http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
    },
  });
}
