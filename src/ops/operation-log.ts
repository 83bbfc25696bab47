import type { Plugin } from '@envelop/core';
import { describeOperation } from './operation.ts';
import type { Logger } from '../logger.ts';
import type { Context } from '../schema/context.ts';

/**
 * One JSON log line per GraphQL operation: its name and type, how long it took, whether it
 * failed, who called (staff member or API key) and the request id the response carries in
 * `x-request-id`, so a till's complaint about one sale finds its line, and the lines of any error.
 */
export function useOperationLog(logger: Logger): Plugin<Context> {
  return {
    onExecute: ({ args }) => {
      const started = performance.now();
      const ctx = args.contextValue as Context;
      const { name, type } = describeOperation(args.document, args.operationName);
      const fields = {
        requestId: ctx.requestId,
        operation: name,
        type,
        caller: ctx.auth.kind,
        callerId: ctx.auth.id ?? undefined,
      };
      return {
        onExecuteDone: ({ result }) => {
          const errors = 'errors' in result ? (result.errors?.length ?? 0) : 0;
          logger.info(
            { ...fields, ms: Math.round((performance.now() - started) * 10) / 10, errors },
            'graphql operation',
          );
        },
      };
    },
  };
}
