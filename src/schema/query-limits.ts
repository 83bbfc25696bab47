import type { Plugin } from '@envelop/core';
import {
  BREAK,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  type ValueNode,
  visit,
} from 'graphql';
import { type Locale, negotiateLocale } from '../i18n/locale.ts';
import { translate } from '../i18n/messages.ts';

/**
 * Bounds on the shape and cost of every operation, checked before it is validated or executed:
 * a refused operation has cost no SQL statement, no principal look-up, not even GraphQL's own
 * validation (whose overlapping-fields rule is quadratic in the number of aliases).
 *
 * - tokens: the document is parsed with graphql-js's `maxTokens`, so a huge document is refused
 *   while it is read;
 * - depth: nested field levels (fragments expanded; introspection fields excluded);
 * - aliases: fields given an alias other than their own name, the usual way to run one expensive
 *   field many times;
 * - fields (breadth): field selections after fragments are expanded (so a fragment bomb stops
 *   at the limit, it is never expanded whole);
 * - cost: an upper bound of the objects the response may hold, computed from connection sizes
 *   (see `costOf` below), which is what one request can make the database read;
 * - once per operation: fields that must not be repeated with aliases (`signIn`).
 * docs/security.md lists the limits and how the cost is computed.
 */
export interface QueryLimits {
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxTokens: 10_000,
  maxDepth: 12,
  maxAliases: 30,
  maxFields: 500,
  maxCost: 10_000,
};

/**
 * A connection's page when the caller gives neither `first` nor `last`, and its largest page (Pothos' defaults, and
 * ours).
 */
export const CONNECTION_DEFAULT_SIZE = 20;
export const CONNECTION_MAX_SIZE = 100;
/** What a plain list field (not a connection) is assumed to hold, unless LIST_SIZE or an argument says. */
export const DEFAULT_LIST_SIZE = 10;
/** Plain lists whose size is known better than the default, by schema coordinate. */
export const LIST_SIZE: Record<string, number> = {
  'Query.stores': 50,
  'Query.staffMembers': 50,
  'Query.salesByDay': 31,
  'Insights.salesHeatMap': 168,
  'Insights.salesTrend': 366,
  'Insights.cohorts': 13,
  'Cohort.retention': 25,
  'KpiReport.stores': 50,
  'KpiFigures.purchaseIntervals': 7,
};
/**
 * Fields whose SQL reads far more rows than they return (an insight aggregates a period's
 * sales): each costs this much instead of 1, so one operation holds about twenty of them at the
 * default maximum cost, and aliases cannot repeat one past that.
 */
export const INSIGHT_COST = 500;
export const FIELD_COST: Record<string, number> = Object.fromEntries(
  [
    'KpiComparison.current',
    'KpiComparison.previousPeriod',
    'KpiComparison.samePeriodLastYear',
    'Insights.salesHeatMap',
    'Insights.salesTrend',
    'Insights.productRanking',
    'Insights.stockCover',
    'Insights.stockTurnover',
    'Insights.slowMovers',
    'Insights.reorderSuggestions',
    'Insights.basketPairs',
    'Insights.purchaseSequences',
    'Insights.cohorts',
  ].map((c) => [c, INSIGHT_COST]),
);
/** Fields an operation may select once at most (each runs a deliberately slow check). */
export const ONCE_PER_OPERATION = new Set(['Mutation.signIn']);

export type QueryLimitKind = 'depth' | 'aliases' | 'fields' | 'cost' | 'tokens' | 'once';

export class QueryLimitError extends GraphQLError {
  constructor(
    readonly limit: QueryLimitKind,
    readonly max: number,
    locale: Locale,
    field?: string,
  ) {
    super(translate(`QUERY_LIMIT_${limit.toUpperCase()}`, { max, field: field ?? '' }, locale), {
      extensions: { code: 'QUERY_TOO_COMPLEX', limit, max, ...(field ? { field } : {}), http: { status: 400 } },
    });
  }
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  limits: QueryLimits;
  fields: number;
  aliases: number;
  cost: number;
  once: Map<string, number>;
}

type Refusal = { limit: QueryLimitKind; max: number; field?: string };

class Refused {
  constructor(readonly refusal: Refusal) {}
}

/**
 * The first limit the operation passes, or null. Unknown fields and types are skipped (validation
 * refuses them afterwards); the walk stops at the first limit passed, so its own work is bounded
 * by the limits, whatever the document.
 */
export function checkQueryLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: QueryLimits = DEFAULT_QUERY_LIMITS,
): Refusal | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    else if (d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName))
      operations.push(d);
  }
  try {
    for (const operation of operations) {
      const root =
        operation.operation === 'query'
          ? schema.getQueryType()
          : operation.operation === 'mutation'
            ? schema.getMutationType()
            : schema.getSubscriptionType();
      if (!root) continue;
      const walk: Walk = {
        schema,
        fragments,
        variables: variables ?? {},
        limits,
        fields: 0,
        aliases: 0,
        cost: 0,
        once: new Map(),
      };
      visitSelections(walk, operation.selectionSet, root, 1, 1, new Set());
    }
  } catch (e) {
    if (e instanceof Refused) return e.refusal;
    throw e;
  }
  return null;
}

function visitSelections(
  walk: Walk,
  selectionSet: SelectionSetNode,
  parentType: GraphQLNamedType,
  depth: number,
  multiplicity: number,
  inFragments: Set<string>,
  pageSize?: number,
) {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      visitField(walk, selection, parentType, depth, multiplicity, inFragments, pageSize);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parentType;
      if (type) visitSelections(walk, selection.selectionSet, type, depth, multiplicity, inFragments, pageSize);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      // A fragment that spreads itself is refused by validation; here it is simply not followed again.
      if (!fragment || inFragments.has(name)) continue;
      const type = walk.schema.getType(fragment.typeCondition.name.value);
      if (!type) continue;
      inFragments.add(name);
      visitSelections(walk, fragment.selectionSet, type, depth, multiplicity, inFragments, pageSize);
      inFragments.delete(name);
    }
  }
}

function visitField(
  walk: Walk,
  node: FieldNode,
  parentType: GraphQLNamedType,
  depth: number,
  multiplicity: number,
  inFragments: Set<string>,
  pageSize: number | undefined,
) {
  const { limits } = walk;
  const name = node.name.value;
  if (++walk.fields > limits.maxFields) throw new Refused({ limit: 'fields', max: limits.maxFields });
  if (node.alias && node.alias.value !== name && ++walk.aliases > limits.maxAliases)
    throw new Refused({ limit: 'aliases', max: limits.maxAliases });
  // Introspection is answered from memory: its (deep) shape is bounded by the field and alias limits.
  if (name.startsWith('__')) return;
  if (depth > limits.maxDepth) throw new Refused({ limit: 'depth', max: limits.maxDepth });
  const field = isObjectType(parentType) || isInterfaceType(parentType) ? parentType.getFields()[name] : undefined;
  if (!field) return;
  const coordinate = `${parentType.name}.${name}`;
  if (ONCE_PER_OPERATION.has(coordinate)) {
    const seen = (walk.once.get(coordinate) ?? 0) + 1;
    walk.once.set(coordinate, seen);
    if (seen > 1) throw new Refused({ limit: 'once', max: 1, field: name });
  }
  const type = getNamedType(field.type);
  if (!isCompositeType(type) || !node.selectionSet) return;
  walk.cost += multiplicity * (FIELD_COST[coordinate] ?? 1);
  if (walk.cost > limits.maxCost) throw new Refused({ limit: 'cost', max: limits.maxCost });
  const { size, page } = sizeOf(walk, node, field, coordinate, pageSize);
  visitSelections(walk, node.selectionSet, type, depth + 1, multiplicity * size, inFragments, page);
}

/**
 * How many times the field's children may be resolved per parent: the cost model.
 * - A connection (a field with `first`/`last` whose type has `edges`) holds `first` (or `last`,
 *   or CONNECTION_DEFAULT_SIZE when neither is given; at most CONNECTION_MAX_SIZE); the
 *   connection object itself is one, its `edges` and `nodes` lists hold the page.
 * - Any other list holds LIST_SIZE[coordinate], or the length of an `ids` argument, or a
 *   `first`/`last` argument, or DEFAULT_LIST_SIZE.
 * - Anything else is one.
 */
function sizeOf(
  walk: Walk,
  node: FieldNode,
  field: GraphQLField<unknown, unknown>,
  coordinate: string,
  pageSize: number | undefined,
): { size: number; page?: number } {
  const named = getNamedType(field.type);
  const pageArg = argument(walk, node, 'first') ?? argument(walk, node, 'last');
  if (isObjectType(named) && named.getFields().edges && field.args.some((a) => a.name === 'first')) {
    const page = typeof pageArg === 'number' ? Math.min(Math.max(pageArg, 0), CONNECTION_MAX_SIZE) : undefined;
    return { size: 1, page: page ?? CONNECTION_DEFAULT_SIZE };
  }
  if (!isListType(getNullableType(field.type))) return { size: 1 };
  if (pageSize !== undefined && (field.name === 'edges' || field.name === 'nodes')) return { size: pageSize };
  const known = LIST_SIZE[coordinate];
  if (known !== undefined) return { size: known };
  const ids = argument(walk, node, 'ids');
  if (Array.isArray(ids)) return { size: ids.length };
  if (typeof pageArg === 'number') return { size: Math.max(pageArg, 0) };
  const declared = field.args.find((a) => a.name === 'last' || a.name === 'first')?.defaultValue;
  return { size: typeof declared === 'number' ? declared : DEFAULT_LIST_SIZE };
}

function argument(walk: Walk, node: FieldNode, name: string): unknown {
  const arg = node.arguments?.find((a) => a.name.value === name);
  return arg ? literal(arg.value, walk.variables) : undefined;
}

function literal(value: ValueNode, variables: Record<string, unknown>): unknown {
  switch (value.kind) {
    case Kind.VARIABLE:
      return variables[value.name.value];
    case Kind.INT:
      return Number.parseInt(value.value, 10);
    case Kind.LIST:
      return value.values.map((v) => literal(v, variables));
    default:
      return undefined;
  }
}

/** Arguments whose values the cost model reads (see sizeOf). */
const SIZING_ARGUMENTS = new Set(['first', 'last', 'ids']);

/** Whether a sizing argument anywhere in the document takes a variable: then the verdict depends on the variables. */
function sizedByVariables(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Argument(node) {
      if (SIZING_ARGUMENTS.has(node.name.value)) {
        visit(node.value, {
          Variable() {
            found = true;
            return BREAK;
          },
        });
      }
      return found ? BREAK : false;
    },
  });
  return found;
}

/** Query limits as an envelop plugin: parse with a token limit, then the shape and cost before validation. */
export function useQueryLimits(limits: QueryLimits = DEFAULT_QUERY_LIMITS): Plugin {
  /**
   * Verdicts of documents whose cost does not depend on the variables, per schema, document
   * (Yoga hands the same parsed document for the same text) and operation name.
   */
  const verdicts = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, Refusal | null> | null>>();
  const check = (
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
  ) => {
    let bySchema = verdicts.get(schema);
    if (!bySchema) {
      bySchema = new WeakMap();
      verdicts.set(schema, bySchema);
    }
    let byOperation = bySchema.get(document);
    if (byOperation === undefined) {
      byOperation = sizedByVariables(document) ? null : new Map<string, Refusal | null>();
      bySchema.set(document, byOperation);
    }
    if (!byOperation) return checkQueryLimits(schema, document, operationName, variables, limits);
    const key = operationName ?? '';
    const known = byOperation.get(key);
    if (known !== undefined) return known;
    const refusal = checkQueryLimits(schema, document, operationName, variables, limits);
    if (byOperation.size < 100) byOperation.set(key, refusal);
    return refusal;
  };
  return {
    onParse: ({ context, setParseFn }) => {
      setParseFn((source, options) => {
        try {
          return parse(source, { ...options, maxTokens: limits.maxTokens });
        } catch (error) {
          // graphql-js says "more that N tokens" (sic) in 16.x.
          if (error instanceof GraphQLError && /more th(?:an|at) \d+ tokens/.test(error.message))
            throw new QueryLimitError('tokens', limits.maxTokens, localeOf(context));
          throw error;
        }
      });
    },
    onValidate: ({ context, params }) => {
      const request = requestParams(context);
      const refusal = check(params.schema, params.documentAST, request?.operationName, request?.variables);
      // Thrown rather than set as the validation result: Yoga caches validation results by
      // document, and the cost depends on the variables.
      if (refusal) throw new QueryLimitError(refusal.limit, refusal.max, localeOf(context), refusal.field);
    },
  };
}

function requestParams(
  context: unknown,
): { operationName?: string | null; variables?: Record<string, unknown> | null } | undefined {
  return (context as { params?: { operationName?: string | null; variables?: Record<string, unknown> | null } })
    ?.params;
}

/** The caller's language from the request (HTTP) or the WebSocket's upgrade request. */
function localeOf(context: unknown): Locale {
  const c = context as {
    request?: Request;
    req?: { headers?: Record<string, string | string[] | undefined> };
    connectionParams?: Record<string, unknown>;
  };
  const header =
    c?.request?.headers?.get('accept-language') ??
    (c?.connectionParams?.['accept-language'] as string | undefined) ??
    (c?.req?.headers?.['accept-language'] as string | undefined);
  return negotiateLocale(header ?? null);
}
