import { messageCodes, translate } from '../i18n/messages.ts';
import type { Builder } from '../schema/builder.ts';
import {
  ConflictError,
  InsufficientStockError,
  InvalidInputError,
  InvalidStateError,
  NotFoundError,
  TooManyAttemptsError,
  type UserError,
} from './index.ts';

/** The error types a mutation may list; every one implements the UserError interface. */
export const USER_ERRORS: (new (...args: never[]) => Error)[] = [
  InvalidInputError,
  NotFoundError,
  ConflictError,
  InvalidStateError,
];

export function addErrorTypes(builder: Builder) {
  const codes = messageCodes();
  const UserErrorCode = builder.enumType('UserErrorCode', {
    description: 'Stable, machine-readable reason for a UserError. The message is for people; branch on the code.',
    // Codes of GraphQL errors (not UserErrors): access, internal, and refusals before execution.
    values: codes.filter(
      (c) =>
        ![
          'UNAUTHENTICATED',
          'FORBIDDEN',
          'INTERNAL',
          'TRY_AGAIN',
          'DATABASE_UNAVAILABLE',
          'RATE_LIMITED',
          'STATEMENT_TIMEOUT',
          'REQUEST_TOO_LARGE',
          'LENGTH_REQUIRED',
        ].includes(c) && !c.startsWith('QUERY_LIMIT_'),
    ),
  });

  const UserErrorInterface = builder.interfaceRef<UserError>('UserError').implement({
    description:
      'A failure the caller can fix. Mutations return these inside their result union; nothing was written when ' +
      'one is returned.',
    fields: (t) => ({
      // Named errorCode, not code: result unions also hold Member, Store… which have a `code` of their own.
      errorCode: t.field({ type: UserErrorCode, resolve: (e) => e.code as never }),
      message: t.string({
        description: "In the caller's language (Accept-Language: zh-CN by default, or en).",
        resolve: (e, _args, ctx) => translate(e.code, e.params, ctx.locale),
      }),
      field: t.stringList({
        nullable: true,
        description: 'Path to the input field at fault, e.g. ["input", "lines", "1", "sku"].',
        resolve: (e) => e.field,
      }),
    }),
  });

  const simple = [
    [InvalidInputError, 'Input breaks a rule: format, range, or totals that do not add up.'],
    [NotFoundError, 'Something the input refers to does not exist.'],
    [ConflictError, 'The input collides with existing data (a phone number, a code, an external id).'],
    [InvalidStateError, 'The target is in a state that does not allow this (already refunded, stocktake posted...).'],
  ] as const;
  for (const [cls, description] of simple) {
    builder.objectType(cls, {
      name: cls.name,
      description,
      interfaces: [UserErrorInterface],
      isTypeOf: (e) => e instanceof cls,
    });
  }

  builder.objectType(InsufficientStockError, {
    name: 'InsufficientStockError',
    description: 'The store does not allow negative stock and has less on hand than the sale or movement needs.',
    interfaces: [UserErrorInterface],
    isTypeOf: (e) => e instanceof InsufficientStockError,
    fields: (t) => ({
      sku: t.exposeString('sku'),
      requested: t.exposeInt('requested'),
      available: t.exposeInt('available'),
    }),
  });

  builder.objectType(TooManyAttemptsError, {
    name: 'TooManyAttemptsError',
    description: 'Too many failed attempts (sign-in): refused without being tried; try again after retryAfterSeconds.',
    interfaces: [UserErrorInterface],
    isTypeOf: (e) => e instanceof TooManyAttemptsError,
    fields: (t) => ({
      retryAfterSeconds: t.exposeInt('retryAfterSeconds'),
    }),
  });
}
