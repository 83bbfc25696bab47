import { NIL_UUID } from '../db/ids.ts';
import type { Db } from '../db/tx.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { openBirthday, openEmail, openPhone, sealBirthday, sealEmail, sealPhone } from './personal.ts';
import { reencryptWebhookSecrets } from '../webhooks/service.ts';

/** The encrypted and hashed columns of a customer: every one names the key that wrote it. */
const COLUMNS = ['phoneEnc', 'phoneHash', 'phoneLast4Hash', 'emailEnc', 'emailHash', 'birthdayEnc'] as const;

type Row = { id: string } & Record<(typeof COLUMNS)[number], string | null>;

/** SQL: the row has a value written with another key than `prefix` names. */
function staleCondition() {
  return COLUMNS.map((c) => `("${c}" IS NOT NULL AND NOT starts_with("${c}", $1))`).join(' OR ');
}

export interface RotationProgress {
  /** Customers moved to the current key by this run. */
  rotated: number;
  /** Customers still on another key (0 when the run finished). */
  remaining: number;
}

/** How many customers still hold a value written with a key other than the current one, by key id. */
export async function keyUsage(db: Db): Promise<Record<string, number>> {
  const rows = await db.$queryRawUnsafe<{ key: string; n: number }[]>(
    `SELECT split_part(v, ':', 1) AS key, count(DISTINCT id)::int AS n
       FROM "Customer", unnest(ARRAY[${COLUMNS.map((c) => `"${c}"`).join(', ')}]) AS v
      WHERE v IS NOT NULL GROUP BY 1 ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.n]));
}

/**
 * The embedded database has one process, so `npm run keys:rotate` cannot run beside its server:
 * started with a previous key configured, the server moves the data to the current key itself,
 * in the background, batch by batch between the requests it serves. Resolves when done or stopped.
 */
export function rotateInBackground(
  db: Db,
  keys: Keyring,
  log: { info: (o: object, m: string) => void; error: (o: object, m: string) => void },
) {
  let stopping = false;
  const run = rotateCustomerKeys(db, keys, { stop: () => stopping })
    .then(({ rotated, retired }) => {
      if (stopping) return;
      const remove = retired.length ? `; retired ${retired.join(', ')}: remove from DATA_ENCRYPTION_PREVIOUS_KEYS` : '';
      log.info(
        { rotated, retired, key: keys.current.id },
        `customer data re-encrypted under key "${keys.current.id}"${remove}`,
      );
    })
    .catch((err) => log.error({ err }, 'key rotation failed; it runs again at the next start'));
  return {
    async stop() {
      stopping = true;
      await run;
    },
  };
}

/**
 * `npm run keys:rotate`: re-encrypts (and re-hashes) every customer value written with a previous
 * key under the current one, `batchSize` customers per transaction, walking the table in id order.
 *
 * - No downtime: each batch locks its rows only for its own short transaction (a sale updating one
 *   of them waits that long); reads meanwhile decrypt with whichever key a value names, and
 *   look-ups match the hashes of every configured key.
 * - Resumable and idempotent: a batch commits whole or not at all, and only rows with a value
 *   under another key are picked, so running it again (after an interruption, or twice) carries on
 *   where it stopped and changes nothing that is done.
 * - Finished, it marks every key no value uses any more as retired (EncryptionKey.retiredAt):
 *   from then on that key may be removed from DATA_ENCRYPTION_PREVIOUS_KEYS.
 */
export async function rotateCustomerKeys(
  db: Db,
  keys: Keyring,
  options: {
    batchSize?: number;
    onBatch?: (progress: { rotated: number }) => void | Promise<void>;
    /** Asked between batches: true stops the run there (a server shutting down); run again to finish. */
    stop?: () => boolean;
  } = {},
): Promise<{ rotated: number; retired: string[] }> {
  const batchSize = Math.min(Math.max(options.batchSize ?? 500, 1), 10_000);
  const prefix = `${keys.current.id}:`;
  let after = NIL_UUID;
  let rotated = 0;
  for (;;) {
    if (options.stop?.()) return { rotated, retired: [] };
    const done = await db.$transaction(
      async (tx) => {
        // FOR UPDATE: a write to one of these customers meanwhile waits, so it is neither lost
        // nor overwritten with the old value re-encrypted.
        const rows = await tx.$queryRawUnsafe<Row[]>(
          `SELECT id::text AS id, ${COLUMNS.map((c) => `"${c}"`).join(', ')} FROM "Customer"
            WHERE id > $2::uuid AND (${staleCondition()}) ORDER BY id LIMIT ${batchSize} FOR UPDATE`,
          prefix,
          after,
        );
        if (rows.length === 0) return null;
        const updated = rows.map((r) => {
          const phone = openPhone(r.phoneEnc, keys);
          const email = openEmail(r.emailEnc, keys);
          // A hash without its ciphertext (none is written so) cannot be recomputed: it is dropped.
          return {
            id: r.id,
            ...sealPhone(phone, keys),
            ...sealEmail(email, keys),
            ...sealBirthday(openBirthday(r.birthdayEnc, keys), keys),
          };
        });
        await tx.$executeRawUnsafe(
          `UPDATE "Customer" c SET ${COLUMNS.map((col) => `"${col}" = u."${col}"`).join(', ')}
             FROM json_to_recordset($1::json) AS u(id uuid, ${COLUMNS.map((col) => `"${col}" text`).join(', ')})
            WHERE c.id = u.id`,
          JSON.stringify(updated),
        );
        return rows;
      },
      { timeout: 60_000 },
    );
    if (!done) break;
    rotated += done.length;
    after = done.at(-1)!.id;
    await options.onBatch?.({ rotated });
  }
  // Rows written meanwhile by processes still on an older key (a deploy under way) are caught by
  // the check below: a key is retired only when nothing uses it.
  const usage = await keyUsage(db);
  // Webhook secrets are under the same key (src/webhooks/service.ts): moved too before any key retires.
  const webhookKeys = await reencryptWebhookSecrets(db, keys);
  const retired: string[] = [];
  for (const key of await db.encryptionKey.findMany({ where: { retiredAt: null } })) {
    if (key.id === keys.current.id || usage[key.id] || webhookKeys.has(key.id)) continue;
    await db.encryptionKey.update({ where: { id: key.id }, data: { retiredAt: new Date() } });
    retired.push(key.id);
  }
  return { rotated, retired };
}
