import { NIL_UUID } from '../db/ids.ts';
import type { SqlSession } from '../db/migrate.ts';
import { keyring, type Keyring } from '../crypto/keyring.ts';

/**
 * A customer's personal fields as stored: phone, e-mail and birthday encrypted with AES-256-GCM,
 * plus the keyed hashes (HMAC-SHA256) exact look-ups match: the whole phone (also what keeps a phone
 * to one customer), its last four digits, the e-mail. Everything that writes or reads these columns
 * goes through here (docs/security.md, "Encryption at rest").
 */

export const FIELD = { phone: 'Customer.phone', email: 'Customer.email', birthday: 'Customer.birthday' } as const;
const HASH = { phone: 'phone', last4: 'phoneLast4', email: 'email' } as const;

export interface SealedPhone {
  phoneEnc: string | null;
  phoneHash: string | null;
  phoneLast4Hash: string | null;
}

/** A normalised phone (or null) as its stored columns. */
export function sealPhone(phone: string | null, keys: Keyring = keyring()): SealedPhone {
  if (!phone) return { phoneEnc: null, phoneHash: null, phoneLast4Hash: null };
  return {
    phoneEnc: keys.encrypt(FIELD.phone, phone),
    phoneHash: keys.hash(HASH.phone, phone),
    phoneLast4Hash: keys.hash(HASH.last4, phone.slice(-4)),
  };
}

/** A lower-cased e-mail (or null) as its stored columns. */
export function sealEmail(email: string | null, keys: Keyring = keyring()) {
  return email
    ? { emailEnc: keys.encrypt(FIELD.email, email), emailHash: keys.hash(HASH.email, email) }
    : { emailEnc: null, emailHash: null };
}

/** A birthday (a calendar date, midnight UTC) as its stored column: YYYY-MM-DD, encrypted. */
export function sealBirthday(birthday: Date | null, keys: Keyring = keyring()) {
  return { birthdayEnc: birthday ? keys.encrypt(FIELD.birthday, birthday.toISOString().slice(0, 10)) : null };
}

/** What `phoneHash` holds for this normalised phone under any configured key (a rotation may be under way). */
export function phoneHashes(phone: string, keys: Keyring = keyring()) {
  return keys.hashes(HASH.phone, phone);
}
export function phoneLast4Hashes(last4: string, keys: Keyring = keyring()) {
  return keys.hashes(HASH.last4, last4);
}
export function emailHashes(email: string, keys: Keyring = keyring()) {
  return keys.hashes(HASH.email, email.trim().toLowerCase());
}

export function openPhone(stored: string | null | undefined, keys: Keyring = keyring()): string | null {
  return stored ? keys.decrypt(FIELD.phone, stored) : null;
}
export function openEmail(stored: string | null | undefined, keys: Keyring = keyring()): string | null {
  return stored ? keys.decrypt(FIELD.email, stored) : null;
}
export function openBirthday(stored: string | null | undefined, keys: Keyring = keyring()): Date | null {
  return stored ? new Date(`${keys.decrypt(FIELD.birthday, stored)}T00:00:00.000Z`) : null;
}

/** The stored columns of a customer, from plaintext (import, demo data, the migration). */
export function sealCustomer(
  fields: { phone: string | null; email: string | null; birthday: Date | null },
  keys: Keyring = keyring(),
) {
  return { ...sealPhone(fields.phone, keys), ...sealEmail(fields.email, keys), ...sealBirthday(fields.birthday, keys) };
}

const BATCH = 1000;

/**
 * The data step of migration 20261201230000_customer_encryption: encrypts the plaintext columns of
 * every row that has them, a thousand rows per statement, inside the migration's transaction.
 * Idempotent (only rows without their encrypted form); needs a key only when such rows exist.
 */
export async function encryptPlaintextCustomers(session: SqlSession, keys: () => Keyring): Promise<number> {
  let done = 0;
  let after = NIL_UUID;
  for (;;) {
    const rows = (await session.query(
      `SELECT id::text AS id, phone, email, to_char(birthday, 'YYYY-MM-DD') AS birthday FROM "Customer"
        WHERE id > $1::uuid AND ((phone IS NOT NULL AND "phoneEnc" IS NULL)
                                 OR (email IS NOT NULL AND "emailEnc" IS NULL)
          OR (birthday IS NOT NULL AND "birthdayEnc" IS NULL))
        ORDER BY id LIMIT ${BATCH}`,
      [after],
    )) as { id: string; phone: string | null; email: string | null; birthday: string | null }[];
    if (rows.length === 0) return done;
    const ring = keys();
    const sealed = rows.map((r) => ({
      id: r.id,
      ...sealCustomer(
        { phone: r.phone, email: r.email, birthday: r.birthday ? new Date(`${r.birthday}T00:00:00Z`) : null },
        ring,
      ),
    }));
    await session.query(
      `UPDATE "Customer" c SET "phoneEnc" = u."phoneEnc", "phoneHash" = u."phoneHash",
         "phoneLast4Hash" = u."phoneLast4Hash",
         "emailEnc" = u."emailEnc", "emailHash" = u."emailHash", "birthdayEnc" = u."birthdayEnc"
       FROM json_to_recordset($1::json) AS u(id uuid, "phoneEnc" text, "phoneHash" text, "phoneLast4Hash" text,
         "emailEnc" text, "emailHash" text, "birthdayEnc" text)
       WHERE c.id = u.id`,
      [JSON.stringify(sealed)],
    );
    done += rows.length;
    after = rows[rows.length - 1]!.id;
  }
}
