import { handleStreamOrSingleExecutionResult, type Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';
import { isDataException, isUnavailable } from '../db/errors.ts';
import { RequestAbortedError } from '../db/cancel.ts';
import { AccessError, TryAgainError, UserError } from '../errors/index.ts';
import { translate } from '../i18n/messages.ts';
import type { Logger } from '../logger.ts';
import type { Context } from './context.ts';

/**
 * The single place where thrown errors become what the client sees:
 * - access denials → UNAUTHENTICATED / FORBIDDEN in the caller's language;
 * - a UserError thrown by a query (mutations return them as typed results) → BAD_USER_INPUT
 *   with its errorCode and field;
 * - GraphQL's own errors (validation, bad scalars) → as they are;
 * - a TryAgainError (contention that outlasted the retries) → TRY_AGAIN, retryable: nothing was written;
 * - the database unreachable or the connection cut (a restart, a failover), in a mutation or a
 *   read → TRY_AGAIN, retryable, `reason: DATABASE_UNAVAILABLE`;
 * - a statement past the statement timeout → STATEMENT_TIMEOUT; one cancelled because the client
 *   went away → REQUEST_CANCELLED (logged as info: nobody reads it);
 * - anything else is unexpected: logged with the request id, masked as INTERNAL.
 * Expected business failures never get here: they are typed results (errors/types.ts).
 */
export function useErrorPolicy(logger: Logger): Plugin<Context> {
  const convert = (error: GraphQLError, ctx: Context): GraphQLError => {
    const original = error.originalError;
    if (original instanceof AccessError) {
      return new GraphQLError(translate(original.code, {}, ctx.locale), {
        path: error.path,
        extensions: { code: original.code },
      });
    }
    if (original instanceof UserError) {
      // A query (not a mutation) given input it cannot use: same code and field as a typed result.
      return new GraphQLError(translate(original.code, original.params, ctx.locale), {
        path: error.path,
        extensions: { code: 'BAD_USER_INPUT', errorCode: original.code, field: original.field },
      });
    }
    // GraphQL's own input errors (a variable of the wrong type, a missing required variable, an
    // unknown enum value, a bad scalar) carry a code like every other error, and never quote an
    // unbounded value back.
    if (!original || original instanceof GraphQLError) return withCode(error, 'BAD_USER_INPUT');
    if (isDataException(original)) {
      // PostgreSQL refused a value (a number past its column's range…): the input's fault, nothing written.
      return new GraphQLError(translate('VALUE_OUT_OF_RANGE', {}, ctx.locale), {
        path: error.path,
        extensions: { code: 'BAD_USER_INPUT', errorCode: 'VALUE_OUT_OF_RANGE', requestId: ctx.requestId },
      });
    }
    const cancelled = cancellation(original);
    if (cancelled === 'timeout') {
      // Ran past DB_STATEMENT_TIMEOUT_SECONDS: the server cancelled it and its transaction rolled back.
      logger.warn({ err: original, requestId: ctx.requestId, path: error.path?.join('.') }, 'statement timeout');
      return new GraphQLError(translate('STATEMENT_TIMEOUT', { requestId: ctx.requestId }, ctx.locale), {
        path: error.path,
        extensions: { code: 'STATEMENT_TIMEOUT', requestId: ctx.requestId },
      });
    }
    if (cancelled === 'client') {
      // The client went away (src/db/cancel.ts): nobody reads this answer.
      logger.info({ requestId: ctx.requestId, path: error.path?.join('.') }, 'request cancelled: the client went away');
      return new GraphQLError('The request was cancelled', {
        path: error.path,
        extensions: { code: 'REQUEST_CANCELLED', requestId: ctx.requestId },
      });
    }
    if (original instanceof TryAgainError || isUnavailable(original)) {
      const unavailable = original instanceof TryAgainError ? original.reason === 'unavailable' : true;
      logger.warn(
        {
          err: original instanceof TryAgainError ? original.cause : original,
          requestId: ctx.requestId,
          path: error.path?.join('.'),
          reason: unavailable ? 'database unavailable' : 'busy',
        },
        'try again',
      );
      return tryAgainError(ctx, unavailable, error.path);
    }
    logger.error({ err: original, requestId: ctx.requestId, path: error.path?.join('.') }, 'unexpected error');
    return new GraphQLError(translate('INTERNAL', { requestId: ctx.requestId }, ctx.locale), {
      path: error.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: ctx.requestId },
    });
  };
  const onResult = (ctx: Context) => (payload: Parameters<typeof handleStreamOrSingleExecutionResult>[0]) =>
    handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
      if (result.errors?.length) setResult({ ...result, errors: result.errors.map((e) => convert(e, ctx)) });
    });
  return {
    onValidate:
      () =>
      ({ result, setResult }) => {
        if (result.length) setResult(result.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')));
      },
    onExecute: ({ args }) => ({ onExecuteDone: onResult(args.contextValue as Context) }),
    // Covers both a subscription refused at subscribe time and errors in its later events.
    onSubscribe: ({ args }) => ({ onSubscribeResult: onResult(args.contextValue as Context) }),
  };
}

/**
 * TRY_AGAIN: the client sends the same request again (idempotent mutations make that safe).
 * `reason` says whether the database was busy or unreachable.
 */
export function tryAgainError(
  ctx: Pick<Context, 'locale' | 'requestId'>,
  unavailable: boolean,
  path?: readonly (string | number)[],
): GraphQLError {
  return new GraphQLError(
    translate(unavailable ? 'DATABASE_UNAVAILABLE' : 'TRY_AGAIN', { requestId: ctx.requestId }, ctx.locale),
    {
      path,
      extensions: {
        code: 'TRY_AGAIN',
        retryable: true,
        reason: unavailable ? 'DATABASE_UNAVAILABLE' : 'BUSY',
        requestId: ctx.requestId,
      },
    },
  );
}

/** Why PostgreSQL cancelled a statement, if it did: its statement timeout, or our cancel for a client that left. */
function cancellation(error: Error): 'timeout' | 'client' | null {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof RequestAbortedError) return 'client';
    const message = (e as { message?: unknown }).message;
    if (typeof message !== 'string') continue;
    if (/canceling statement due to statement timeout/i.test(message)) return 'timeout';
    if (/canceling statement due to user request/i.test(message)) return 'client';
  }
  return null;
}

/** The error with `extensions.code` (when it had none) and a message that quotes no long value. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  const message = shorten(error.message);
  if (error.extensions?.code && message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: error.extensions?.code ?? code },
  });
}

/** Quoted values past 40 characters are cut (`"xxxx…"`), and the message itself past 500. */
export function shorten(message: string): string {
  const cut = message.replace(/"((?:[^"\\]|\\.)*)"/g, (quoted, inner: string) =>
    inner.length > 40 ? `"${inner.slice(0, 40)}…"` : quoted,
  );
  return cut.length > 500 ? `${cut.slice(0, 500)}…` : cut;
}
