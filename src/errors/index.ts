import type { MessageCode } from '../i18n/messages.ts';

type Params = Record<string, string | number>;

/**
 * A failure the caller can fix. Domain functions throw these inside a transaction, which
 * rolls the whole mutation back; the schema turns them into typed members of the mutation's
 * result union (see errors/types.ts), with a code, a field path and a message in the
 * caller's language.
 */
export abstract class UserError extends Error {
  readonly code: MessageCode | (string & {});
  readonly params: Params;
  /** Path of the input field at fault, e.g. ['input', 'lines', '2', 'sku']. */
  readonly field: string[] | null;

  constructor(code: MessageCode | (string & {}), params: Params = {}, field: (string | number)[] | null = null) {
    super(`${code} ${JSON.stringify(params)}`);
    this.code = code;
    this.params = params;
    this.field = field ? field.map(String) : null;
  }
}

/** Input that breaks a rule: format, range, totals that do not add up. */
export class InvalidInputError extends UserError {
  override name = 'InvalidInputError';
}

/** A referenced thing does not exist (or is not visible to the caller). */
export class NotFoundError extends UserError {
  override name = 'NotFoundError';
  constructor(entity: string, key: string, field: (string | number)[] | null = null, code: MessageCode = 'NOT_FOUND') {
    super(code, { entity, key, sku: key }, field);
  }
}

/** The input collides with existing data: a phone, a code, an external id. */
export class ConflictError extends UserError {
  override name = 'ConflictError';
}

/** The thing exists but is in a state that forbids this (already refunded, stocktake posted...). */
export class InvalidStateError extends UserError {
  override name = 'InvalidStateError';
}

export class InsufficientStockError extends UserError {
  override name = 'InsufficientStockError';
  constructor(
    readonly sku: string,
    readonly requested: number,
    readonly available: number,
    field: (string | number)[] | null = null,
  ) {
    super('INSUFFICIENT_STOCK', { sku, requested, available }, field);
  }
}

/** Too many attempts (failed sign-ins): refused without being tried; the caller waits `retryAfterSeconds`. */
export class TooManyAttemptsError extends UserError {
  override name = 'TooManyAttemptsError';
  constructor(
    readonly retryAfterSeconds: number,
    field: (string | number)[] | null = null,
  ) {
    super('SIGN_IN_THROTTLED', { seconds: retryAfterSeconds }, field);
  }
}

/** Thrown for authentication/authorisation failures; surfaced as a GraphQL error, not a result. */
export class AccessError extends Error {
  constructor(readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN') {
    super(code);
  }
}

/**
 * The database could not serve the request now and nothing of it was written: contention that
 * outlasted the retries, a transaction that waited too long for a connection. Surfaced as a
 * GraphQL error with `extensions.code: "TRY_AGAIN"` and `retryable: true`; the caller sends the
 * same request again (idempotent mutations make that safe).
 */
export class TryAgainError extends Error {
  override name = 'TryAgainError';
  /**
   * `busy`: contention or a pool wait, nothing was written. `unavailable`: the database could not be
   * reached or the connection broke (a restart, a failover); a sale whose COMMIT was in flight may
   * have been kept, which the idempotent retry (same `externalId`) answers with `replayed: true`.
   */
  readonly reason: 'busy' | 'unavailable';
  constructor(cause: unknown, reason: 'busy' | 'unavailable' = 'busy') {
    super(
      reason === 'busy' ? 'the database could not serve the request now' : 'the database is unreachable for a moment',
      { cause },
    );
    this.reason = reason;
  }
}
