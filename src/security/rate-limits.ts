import type { Redis } from 'ioredis';
import { connectRedis } from '../events/redis-link.ts';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DAY_MS } from '../stores/time.ts';

/**
 * Request and sign-in limits, kept in Redis when REDIS_URL is set (so every process of a
 * deployment counts together) and in the process otherwise. rate-limiter-flexible does the
 * counting: atomic in Redis, and falling back to the process's memory while Redis is away.
 */
export interface RateLimitOptions {
  /** Operations per minute for one caller (a staff member, an API key, or an address when signed out); 0: no limit. */
  requestsPerMinute: number;
  /** Failed sign-ins in a row for one login before it is locked. */
  signInFailuresPerLogin: number;
  /** Failed sign-ins from one client address (within a day) before it is locked. */
  signInFailuresPerAddress: number;
  /** First lock, in seconds; each further failure doubles it, up to SIGN_IN_MAX_LOCK_SECONDS. */
  signInLockSeconds: number;
  redisUrl?: string | undefined;
  keyPrefix?: string;
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = {
  requestsPerMinute: 1200,
  signInFailuresPerLogin: 5,
  signInFailuresPerAddress: 20,
  signInLockSeconds: 30,
};

/** The longest lock a run of failed sign-ins leads to. */
export const SIGN_IN_MAX_LOCK_SECONDS = 3600;
const DAY_SECONDS = DAY_MS / 1000;

/** Refused: the caller may try again after this many seconds. */
export interface Refusal {
  retryAfterSeconds: number;
}

export class RateLimits {
  private readonly redis: Redis | null;
  private readonly requests: RateLimiterAbstract | null;
  private readonly failures: { login: RateLimiterAbstract; address: RateLimiterAbstract };
  private readonly locks: { login: RateLimiterAbstract; address: RateLimiterAbstract };

  constructor(readonly options: RateLimitOptions) {
    const prefix = `${options.keyPrefix ?? 'storecrm:'}rl:`;
    // Its own connection: commands must fail fast rather than queue while Redis is away (the memory
    // limiter takes over). A Redis that stops answering with its connection open (frozen, a network
    // partition) raises no error: without a command timeout every request would wait on it.
    this.redis = options.redisUrl
      ? connectRedis(options.redisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          lazyConnect: false,
          commandTimeout: 500,
          connectTimeout: 2_000,
        })
      : null;
    this.redis?.on('error', () => {});
    const make = (name: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: `${prefix}${name}`, points, duration });
      return this.redis
        ? new RateLimiterRedis({
            storeClient: this.redis,
            keyPrefix: `${prefix}${name}`,
            points,
            duration,
            insuranceLimiter: memory,
          })
        : memory;
    };
    this.requests = options.requestsPerMinute > 0 ? make('req', options.requestsPerMinute, 60) : null;
    // Failures are counted for a day; the lock limiters hold one point and are blocked for the lock's length.
    this.failures = { login: make('fail:login', 1e9, DAY_SECONDS), address: make('fail:addr', 1e9, DAY_SECONDS) };
    this.locks = { login: make('lock:login', 1, DAY_SECONDS), address: make('lock:addr', 1, DAY_SECONDS) };
  }

  /**
   * Counts `cost` operations for the caller (1: a GraphQL request; more for an HTTP route that builds
   * a whole file); a refusal when the caller has used up the minute's allowance.
   */
  async admit(caller: string, cost = 1): Promise<Refusal | null> {
    if (!this.requests || cost <= 0) return null;
    try {
      await this.requests.consume(caller, Math.min(cost, this.options.requestsPerMinute));
      return null;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { retryAfterSeconds: seconds(rejection.msBeforeNext) };
      throw rejection;
    }
  }

  /** Before a password is checked: is this login, or this address, locked? */
  async signInLocked(login: string, address: string): Promise<Refusal | null> {
    const [byLogin, byAddress] = await Promise.all([this.locks.login.get(login), this.locks.address.get(address)]);
    const ms = Math.max(lockedFor(byLogin), lockedFor(byAddress));
    return ms > 0 ? { retryAfterSeconds: seconds(ms) } : null;
  }

  /** A wrong password (or an unknown login): counts against both, and locks when a bound is reached. */
  async signInFailed(login: string, address: string): Promise<void> {
    const o = this.options;
    const [byLogin, byAddress] = await Promise.all([
      this.failures.login.penalty(login, 1),
      this.failures.address.penalty(address, 1),
    ]);
    const lock = (failures: number, allowed: number) =>
      failures < allowed ? 0 : Math.min(o.signInLockSeconds * 2 ** (failures - allowed), SIGN_IN_MAX_LOCK_SECONDS);
    const loginLock = lock(byLogin.consumedPoints, o.signInFailuresPerLogin);
    const addressLock = lock(byAddress.consumedPoints, o.signInFailuresPerAddress);
    await Promise.all([
      loginLock > 0 ? this.locks.login.block(login, loginLock) : null,
      addressLock > 0 ? this.locks.address.block(address, addressLock) : null,
    ]);
  }

  /** A successful sign-in ends the login's run of failures (the address keeps its count for the day). */
  async signInSucceeded(login: string): Promise<void> {
    await this.failures.login.delete(login);
  }

  async close(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

function lockedFor(res: RateLimiterRes | null): number {
  return res && res.consumedPoints > 1 ? res.msBeforeNext : 0;
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
