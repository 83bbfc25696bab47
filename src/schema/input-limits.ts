import type { Plugin } from '@envelop/core';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  isInputObjectType,
  isListType,
  isScalarType,
  Kind,
  type ArgumentNode,
  type DocumentNode,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { translate } from '../i18n/messages.ts';
import type { Context } from './context.ts';

/**
 * Bounds on every input, checked once per operation before any resolver runs, so no resolver has
 * to remember them and no oversized value reaches the database, a log line or an error message:
 * - every String and ID value (in arguments, input objects, lists, literals or variables) is at
 *   most DEFAULT_MAX_LENGTH characters, unless MAX_LENGTH (or the field's or argument's
 *   `extensions.maxLength`, for plugins) says otherwise;
 * - no string holds a NUL character (PostgreSQL text cannot store one);
 * - no list holds more than MAX_LIST_ITEMS items.
 * A value past a bound is refused with a BAD_USER_INPUT error naming the field (`field`, as in
 * UserError) and the bound, never echoing the value. docs/api-limits.md lists them.
 */
export const DEFAULT_MAX_LENGTH = 200;
export const MAX_LIST_ITEMS = 1_000;

/** Longer (or shorter) bounds by schema coordinate: `Type.field` for input fields, `Type.field(arg:)` for arguments. */
export const MAX_LENGTH: Record<string, number> = {
  // Free text a person writes.
  'CreateCustomerInput.notes': 2_000,
  'UpdateCustomerInput.notes': 2_000,
  'AddInteractionInput.summary': 2_000,
  'CreateStoreInput.address': 500,
  'Mutation.adjustStock(reason:)': 500,
  'Mutation.transferStock(note:)': 500,
  'Mutation.startStocktake(note:)': 500,
  'Mutation.refundSale(reason:)': 500,
  'Mutation.adjustPoints(reason:)': 500,
  // Documents an integrator registers (src/storefront/persisted-operations.ts).
  'PersistedOperationInput.document': 20_000,
  // Keys a POS or a payment provider sends.
  'RecordSaleInput.externalId': 100,
  'Mutation.refundSale(externalId:)': 100,
  'PaymentInput.reference': 100,
};

interface Problem {
  code: 'INPUT_TOO_LONG' | 'INPUT_HAS_NUL' | 'INPUT_TOO_MANY_ITEMS';
  field: (string | number)[];
  max: number;
}

/** The first input of the operation past a bound, or null. */
export function findInputProblem(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): Problem | null {
  for (const arg of argumentsOf(schema, document, operationName)) {
    const value = valueFromAST(arg.node.value, arg.type, variables ?? {});
    if (value === undefined) continue; // invalid: GraphQL itself refuses it
    const problem = check(value, arg.type, [arg.name], arg.max);
    if (problem) return problem;
  }
  return null;
}

interface ArgumentSite {
  node: ArgumentNode;
  name: string;
  type: GraphQLInputType;
  max: number;
}

/**
 * The arguments of an operation (and of every fragment of its document) with their input types,
 * in document order. Found once per document and operation (Yoga hands the same parsed document
 * for the same text), so a request only checks its values.
 */
const sitesByDocument = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, ArgumentSite[]>>>();

function argumentsOf(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined) {
  let bySchema = sitesByDocument.get(schema);
  if (!bySchema) {
    bySchema = new WeakMap();
    sitesByDocument.set(schema, bySchema);
  }
  let byOperation = bySchema.get(document);
  if (!byOperation) {
    byOperation = new Map();
    bySchema.set(document, byOperation);
  }
  const key = operationName ?? '';
  let sites = byOperation.get(key);
  if (sites) return sites;
  sites = [];
  const typeInfo = new TypeInfo(schema);
  const operation = document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (operation) {
    const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
    for (const definition of [operation, ...fragments]) {
      visit(
        definition,
        visitWithTypeInfo(typeInfo, {
          Argument(node) {
            const arg = typeInfo.getArgument();
            const field = typeInfo.getFieldDef();
            const parent = typeInfo.getParentType();
            if (!arg || !field || !parent) return false;
            const coordinate = `${parent.name}.${field.name}(${arg.name}:)`;
            sites.push({ node, name: arg.name, type: arg.type, max: MAX_LENGTH[coordinate] ?? maxOf(arg.extensions) });
            return false;
          },
        }),
      );
    }
  }
  // Bounded like Yoga's document cache: a document's operations are few.
  if (byOperation.size < 100) byOperation.set(key, sites);
  return sites;
}

function maxOf(extensions: Record<string, unknown> | null | undefined): number {
  const max = extensions?.maxLength;
  return typeof max === 'number' ? max : DEFAULT_MAX_LENGTH;
}

function check(value: unknown, type: GraphQLInputType, path: (string | number)[], max: number): Problem | null {
  if (value === null || value === undefined) return null;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return check(value, nullable.ofType, path, max);
    if (value.length > MAX_LIST_ITEMS) return { code: 'INPUT_TOO_MANY_ITEMS', field: path, max: MAX_LIST_ITEMS };
    for (const [i, item] of value.entries()) {
      const p = check(item, nullable.ofType, [...path, i], max);
      if (p) return p;
    }
    return null;
  }
  if (isInputObjectType(nullable)) {
    if (typeof value !== 'object') return null;
    const fields = nullable.getFields();
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      const f = fields[name];
      if (!f) continue;
      const p = check(v, f.type, [...path, name], MAX_LENGTH[`${nullable.name}.${name}`] ?? maxOf(f.extensions));
      if (p) return p;
    }
    return null;
  }
  const named = getNamedType(nullable);
  if (typeof value === 'string' && isScalarType(named)) {
    if (value.includes('\u0000')) return { code: 'INPUT_HAS_NUL', field: path, max };
    // Characters as a person counts them (code points): a Chinese name of 4 characters is 4.
    if (value.length > max && codePoints(value, max + 1) > max) return { code: 'INPUT_TOO_LONG', field: path, max };
  }
  return null;
}

function codePoints(value: string, stopAt: number): number {
  let n = 0;
  for (const _ of value) if (++n >= stopAt) break;
  return n;
}

/** The error a caller gets: BAD_USER_INPUT, the field's path and the bound, in the caller's language. */
function problemError(problem: Problem, ctx: Context): GraphQLError {
  const field = problem.field.map(String);
  return new GraphQLError(translate(problem.code, { field: field.join('.'), max: problem.max }, ctx.locale), {
    extensions: { code: 'BAD_USER_INPUT', errorCode: problem.code, field, maxLength: problem.max },
  });
}

/** The envelop plugin: queries, mutations and subscriptions alike, before anything executes. */
export function useInputLimits(): Plugin<Context> {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      const problem = findInputProblem(args.schema, args.document, args.operationName, args.variableValues);
      if (problem) setResultAndStopExecution({ errors: [problemError(problem, args.contextValue as Context)] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const problem = findInputProblem(args.schema, args.document, args.operationName, args.variableValues);
      if (problem) setResultAndStopExecution({ errors: [problemError(problem, args.contextValue as Context)] });
    },
  };
}
