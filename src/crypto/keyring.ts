import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Encryption at rest of personal fields (docs/security.md, "Encryption at rest").
 *
 * A key ring holds the current data key, which encrypts and hashes everything written, and
 * previous keys, which still decrypt and find what they wrote until `npm run keys:rotate` has
 * moved every value to the current key. From each 32-byte data key HKDF-SHA256 derives three
 * independent keys: one for AES-256-GCM, one for the keyed hashes (HMAC-SHA256) that exact
 * look-ups use, and one for the fingerprint the database keeps to tell a wrong key from a right one.
 *
 * Stored forms, all text, each naming the key that made it:
 * - ciphertext `<keyId>:<base64(iv 12 bytes | ciphertext | GCM tag 16 bytes)>`, the field's name as
 *   associated data (a phone's ciphertext does not decrypt as an e-mail);
 * - keyed hash `<keyId>:<base64url(first 16 bytes of HMAC-SHA256(purpose NUL value))>`.
 */

export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HASH_BYTES = 16;

export class KeyConfigError extends Error {
  override name = 'KeyConfigError';
}

/** A stored value the key ring cannot read: its key is not configured, or is not the key that wrote it. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

export interface DataKey {
  id: string;
  encryption: Buffer;
  index: Buffer;
  /** Identifies the key without revealing it (kept in the EncryptionKey table). */
  fingerprint: string;
}

function derive(master: Buffer, info: string) {
  return Buffer.from(hkdfSync('sha256', master, 'storecrm data key', info, 32));
}

/** Parses `<id>:<base64 of 32 bytes>`; `source` names the variable in the error. */
export function parseDataKey(text: string, source: string): DataKey {
  const at = text.indexOf(':');
  const id = at > 0 ? text.slice(0, at).trim() : '';
  const material = at > 0 ? text.slice(at + 1).trim() : '';
  if (!KEY_ID.test(id)) {
    throw new KeyConfigError(
      `${source}: expected "<key id>:<base64 of 32 random bytes>", e.g. "k1:…" (key id: letters, digits, _ or ` +
        `-, up to 32); make one with \`npm run keys -- new\``,
    );
  }
  const bytes = Buffer.from(material, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== material.replace(/=+$/, '')) {
    throw new KeyConfigError(`${source}: key ${id} is not base64 of exactly 32 bytes (AES-256 needs 32)`);
  }
  return fromMaterial(id, bytes);
}

export function fromMaterial(id: string, material: Buffer): DataKey {
  return {
    id,
    encryption: derive(material, 'customer fields: AES-256-GCM'),
    index: derive(material, 'customer fields: HMAC-SHA256 look-up hashes'),
    fingerprint: createHmac('sha256', derive(material, 'key check'))
      .update('storecrm key check')
      .digest('base64url')
      .slice(0, 22),
  };
}

/** A new key in the form DATA_ENCRYPTION_KEY takes. */
export function newDataKeyText(id: string): string {
  if (!KEY_ID.test(id)) throw new KeyConfigError(`key id "${id}": letters, digits, _ or -, up to 32`);
  return `${id}:${randomBytes(32).toString('base64')}`;
}

export class Keyring {
  readonly current: DataKey;
  readonly keys: ReadonlyMap<string, DataKey>;

  constructor(current: DataKey, previous: DataKey[] = []) {
    this.current = current;
    const keys = new Map<string, DataKey>([[current.id, current]]);
    for (const key of previous) {
      if (keys.has(key.id)) throw new KeyConfigError(`key id ${key.id} is configured twice`);
      keys.set(key.id, key);
    }
    this.keys = keys;
  }

  encrypt(field: string, plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.encryption, iv);
    cipher.setAAD(Buffer.from(field));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${this.current.id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64')}`;
  }

  decrypt(field: string, stored: string): string {
    const at = stored.indexOf(':');
    const id = stored.slice(0, Math.max(at, 0));
    const key = this.keys.get(id);
    if (!key) {
      throw new DecryptionError(
        at > 0
          ? `a stored ${field} is encrypted with key "${id}", which is not configured: add it to ` +
              `DATA_ENCRYPTION_PREVIOUS_KEYS (or finish \`npm run keys:rotate\` before removing it)`
          : `a stored ${field} is not in the encrypted form (plaintext left by an interrupted migration? run ` +
              `\`npm run migrate\`)`,
      );
    }
    const raw = Buffer.from(stored.slice(at + 1), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError(`a stored ${field} is truncated`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.encryption, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(field));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new DecryptionError(
        `a stored ${field} does not decrypt with key "${id}": the configured key "${id}" is not the one that ` +
          'encrypted it, or the value was altered',
      );
    }
  }

  /** Whether `stored` was written with the current key (rotation skips those). */
  isCurrent(stored: string): boolean {
    return stored.startsWith(`${this.current.id}:`);
  }

  /** The keyed hash of `value` under the current key: what is stored. */
  hash(purpose: string, value: string): string {
    return hashWith(this.current, purpose, value);
  }

  /** The keyed hashes of `value` under every configured key: what a look-up matches (old rows included). */
  hashes(purpose: string, value: string): string[] {
    return [...this.keys.values()].map((key) => hashWith(key, purpose, value));
  }
}

function hashWith(key: DataKey, purpose: string, value: string) {
  const mac = createHmac('sha256', key.index).update(purpose).update('\0').update(value, 'utf8').digest();
  return `${key.id}:${mac.subarray(0, HASH_BYTES).toString('base64url')}`;
}

/** Constant-time comparison of two fingerprints. */
export function sameFingerprint(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// One key ring per process, installed at start (src/crypto/keys.ts) like the configuration it
// comes from; domain functions read it where they write or read a protected field.
let installed: Keyring | null = null;

export function installKeyring(keyring: Keyring) {
  installed = keyring;
}

export function keyring(): Keyring {
  if (!installed) {
    throw new KeyConfigError('no data encryption key is installed in this process (see DATA_ENCRYPTION_KEY)');
  }
  return installed;
}
