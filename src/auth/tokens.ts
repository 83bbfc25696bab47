import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';

const ISSUER = 'storecrm';
/**
 * Customer tokens (storefronts, mini-programs) have their own issuer: a staff check refuses them
 * and a customer check refuses staff tokens, though one secret signs both.
 */
const CUSTOMER_ISSUER = 'storecrm:customer';

/** Signs and checks staff session tokens and customers' storefront tokens (HS256 JWT). */
export class TokenService {
  private readonly key: Uint8Array;
  /**
   * Tokens already verified, until they expire. A dashboard or back office sends the same token
   * with every request; checking its HMAC once is enough (the staff member's state is read apart).
   */
  private readonly verified = new LRUCache<string, { staffId: string; expiresAtMs: number }>({ max: 10_000 });
  private readonly verifiedCustomers = new LRUCache<string, { customerId: string; expiresAtMs: number }>({
    max: 10_000,
  });
  constructor(
    secret: string,
    private readonly ttlSeconds = 12 * 3600,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(staffId: string): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(staffId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The staff id, or null for a bad or expired token, or one without an expiry (never accepted). */
  async verify(token: string): Promise<string | null> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAtMs > Date.now()) return known.staffId;
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
      });
      if (!payload.sub || !payload.exp) return null;
      this.verified.set(token, { staffId: payload.sub, expiresAtMs: payload.exp * 1000 });
      return payload.sub;
    } catch {
      return null;
    }
  }

  /** A storefront token for one customer, valid `ttlSeconds` (the caller bounds it). */
  async issueCustomer(customerId: string, ttlSeconds: number): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(customerId)
      .setIssuer(CUSTOMER_ISSUER)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The customer id of a valid storefront token, else null. */
  async verifyCustomer(token: string): Promise<string | null> {
    const known = this.verifiedCustomers.get(token);
    if (known) {
      if (known.expiresAtMs > Date.now()) return known.customerId;
      this.verifiedCustomers.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: CUSTOMER_ISSUER,
        algorithms: ['HS256'],
        requiredClaims: ['exp', 'sub'],
      });
      if (!payload.sub || !payload.exp) return null;
      this.verifiedCustomers.set(token, { customerId: payload.sub, expiresAtMs: payload.exp * 1000 });
      return payload.sub;
    } catch {
      return null;
    }
  }
}

export const API_KEY_PREFIX = 'sk_';

/** A new API key: the secret is shown once; only its hash is stored. */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomBytes(24).toString('base64url');
  return { key, prefix: key.slice(0, 10), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
