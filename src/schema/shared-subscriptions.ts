import type { Plugin } from '@envelop/core';
import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Context } from './context.ts';

/**
 * Subscriptions that share their work. A sale reaches every dashboard subscribed to it, and
 * graphql-js would execute the subscription's selection once per subscriber: a thousand
 * dashboards, a thousand executions of the same fields on the same sale. Here the event (the
 * same object for every subscriber in this process) is executed once per distinct
 * (document, variables, caller's roles, language), and every subscriber with that key gets the
 * result. The caller's roles are in the key because field-level authorisation may show one
 * caller more than another; the language because messages are translated.
 */
export function useSharedSubscriptionExecution(): Plugin<Context> {
  return {
    onSubscribe: ({ setSubscribeFn }) => {
      setSubscribeFn(subscribeShared as never);
    },
  };
}

const results = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

async function subscribeShared(args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const context = args.contextValue as Context;
  const key = [
    print(args.document),
    args.operationName ?? '',
    JSON.stringify(args.variableValues ?? {}),
    context.auth.kind,
    JSON.stringify([...context.auth.roles].sort(([a], [b]) => (a < b ? -1 : 1))),
    context.locale,
  ].join('\u0000');
  const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  return {
    [Symbol.asyncIterator]() {
      return {
        next: async () => {
          const next = await iterator.next();
          if (next.done) return { done: true, value: undefined };
          return { done: false, value: await executeOnce(next.value, key, args) };
        },
        return: async () => {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
        throw: async (error: unknown) => {
          await iterator.return?.();
          throw error;
        },
      };
    },
  };
}

function executeOnce(event: unknown, key: string, args: ExecutionArgs): Promise<ExecutionResult> {
  // Events that are not objects (none of ours) cannot carry a memo: execute them as graphql-js would.
  if (typeof event !== 'object' || event === null) return Promise.resolve(execute({ ...args, rootValue: event }));
  let byKey = results.get(event);
  if (!byKey) {
    byKey = new Map();
    results.set(event, byKey);
  }
  let result = byKey.get(key);
  if (!result) {
    result = Promise.resolve(execute({ ...args, rootValue: event }));
    byKey.set(key, result);
  }
  return result;
}
