import { handleStreamOrSingleExecutionResult, type Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';
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
    if (!original || original instanceof GraphQLError) return error;
    if (original instanceof TryAgainError) {
      logger.warn({ err: original.cause, requestId: ctx.requestId, path: error.path?.join('.') }, 'try again');
      return new GraphQLError(translate('TRY_AGAIN', { requestId: ctx.requestId }, ctx.locale), {
        path: error.path,
        extensions: { code: 'TRY_AGAIN', retryable: true, requestId: ctx.requestId },
      });
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
    onExecute: ({ args }) => ({ onExecuteDone: onResult(args.contextValue as Context) }),
    // Covers both a subscription refused at subscribe time and errors in its later events.
    onSubscribe: ({ args }) => ({ onSubscribeResult: onResult(args.contextValue as Context) }),
  };
}
