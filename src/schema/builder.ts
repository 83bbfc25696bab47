import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin, { decodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import SimpleObjectsPlugin from '@pothos/plugin-simple-objects';
import { GraphQLError } from 'graphql';
import { getDatamodel } from '../generated/pothos-prisma-types.ts';
import { isUuid } from '../db/ids.ts';
import { InvalidInputError } from '../errors/index.ts';
import { translate } from '../i18n/messages.ts';
import type { Builder, SchemaTypes } from '../contract.ts';
import { literalValue, parseDate, parseDateTime, parseMoney, serializeDate, serializeMoney } from './scalars.ts';

// The types live in the leaf module src/contract.ts (with the context and the plugin's shape, which
// refer to them), so that this module, the context and the plugin host never import each other.
export type { Builder, BuilderTypes, SchemaTypes } from '../contract.ts';

function capitalize(s: string) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A fresh builder. The schema is built per configuration (core plus the installed plugins),
 * so each domain module exports a function that adds its types to the builder it is given.
 */
export function createBuilder(): Builder {
  const builder = new SchemaBuilder<SchemaTypes>({
    defaultFieldNullability: false,
    plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin, SimpleObjectsPlugin],
    prisma: {
      client: (ctx) => ctx.db,
      dmmf: getDatamodel(),
      exposeDescriptions: true,
      filterConnectionTotalCount: true,
      onUnusedQuery: null,
    },
    relay: {
      // Every id is a UUID: a malformed one is the caller's mistake (BAD_USER_INPUT), not a
      // database error deep inside a resolver.
      decodeGlobalID: (globalID) => {
        let decoded: { typename: string; id: string } | null = null;
        try {
          decoded = decodeGlobalID(globalID);
        } catch {
          // not base64 "Type:id" at all
        }
        if (!decoded || !isUuid(decoded.id)) throw new InvalidInputError('INVALID_ID', { id: globalID });
        return decoded;
      },
      clientMutationId: 'omit',
      // Staff and API keys only: a customer token reads its own account through myAccount, and a
      // node's type-level check would not run for a selection of `__typename` alone.
      nodeQueryOptions: { authScopes: { signedIn: true } },
      nodesQueryOptions: { authScopes: { signedIn: true } },
      cursorType: 'String',
      edgesFieldOptions: { nullable: false },
      nodeFieldOptions: { nullable: false },
    },
    errors: {
      defaultUnionOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Result` },
      defaultResultOptions: { name: ({ fieldName }) => `${capitalize(fieldName)}Success` },
    },
    scopeAuth: {
      authorizeOnSubscribe: true,
      authScopes: (ctx) => ({
        signedIn: ctx.auth.signedIn,
        permission: (permission) => ctx.auth.can(permission),
        storePermission: ({ storeId, permission }) => ctx.auth.can(permission, storeId),
        customer: ctx.auth.kind === 'customer',
        customerSelf: (customerId) => ctx.auth.customerId !== null && ctx.auth.customerId === customerId,
      }),
      unauthorizedError: (_parent, ctx) => {
        const code = ctx.auth.identified ? 'FORBIDDEN' : 'UNAUTHENTICATED';
        return new GraphQLError(translate(code, {}, ctx.locale), { extensions: { code } });
      },
    },
  });

  builder.scalarType('Money', {
    description:
      'An exact amount of money in the currency of its store or sale, as a string with two decimals: "128.00".',
    serialize: serializeMoney,
    parseValue: parseMoney,
    parseLiteral: (ast) => parseMoney(literalValue(ast)),
  });
  builder.scalarType('Date', {
    description: "A calendar date, YYYY-MM-DD. Business dates are in the store's own time zone.",
    serialize: serializeDate,
    parseValue: parseDate,
    parseLiteral: (ast) => parseDate(literalValue(ast)),
  });
  builder.scalarType('DateTime', {
    description: 'An instant, ISO-8601 with a time zone offset.',
    serialize: (value) => (value as Date).toISOString(),
    parseValue: parseDateTime,
    parseLiteral: (ast) => parseDateTime(literalValue(ast)),
  });

  builder.queryType({});
  builder.mutationType({});
  builder.subscriptionType({});
  return builder as unknown as Builder;
}
