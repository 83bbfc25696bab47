import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import type { Db } from '../db/tx.ts';
import type { Logger } from '../logger.ts';
import { KeyConfigError, Keyring, newDataKeyText, parseDataKey, sameFingerprint } from './keyring.ts';

/** Where the embedded default keeps the key it generated. */
export function dataKeyFile(dataDir: string) {
  return join(dataDir, 'data-encryption-key');
}

export interface ResolvedKeys {
  keyring: Keyring;
  /** DATA_ENCRYPTION_KEY as resolved, for the processes a cluster primary forks. */
  currentText: string;
}

/**
 * The data keys of this process:
 * - DATA_ENCRYPTION_KEY (`<id>:<base64 of 32 bytes>`) encrypts and hashes what is written;
 *   DATA_ENCRYPTION_PREVIOUS_KEYS (comma-separated, same form) still reads what older keys wrote.
 * - Without DATA_ENCRYPTION_KEY, in production with PostgreSQL: refused. Several processes or
 *   machines share that database, and a key generated on one would make the data unreadable on
 *   the others (and lost with that machine's disk).
 * - Otherwise (the embedded database, or PostgreSQL outside production): the key in
 *   `<DATA_DIR>/data-encryption-key`, generated (0600) and logged on first start.
 */
export function resolveDataKeys(config: Config, logger?: Logger): ResolvedKeys {
  const previous = (config.DATA_ENCRYPTION_PREVIOUS_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean)
    .map((k) => parseDataKey(k, 'DATA_ENCRYPTION_PREVIOUS_KEYS'));
  let text = config.DATA_ENCRYPTION_KEY?.trim();
  if (!text) {
    if (config.DATABASE_URL && config.NODE_ENV === 'production') {
      throw new KeyConfigError(
        "DATA_ENCRYPTION_KEY is required in production with PostgreSQL (DATABASE_URL): customers' phones, " +
          'e-mails and birthdays are encrypted with it. ' +
          'Make one with `npm run keys -- new`, keep it in your secret store, and give the same key to every process.',
      );
    }
    const file = dataKeyFile(config.DATA_DIR);
    if (existsSync(file)) {
      text = readFileSync(file, 'utf8').trim();
      if (!text) throw new KeyConfigError(`${file} is empty: restore the data key from your backup`);
    } else {
      mkdirSync(dirname(file), { recursive: true });
      text = newDataKeyText('k1');
      writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
      logger?.warn(
        { file: resolve(file) },
        `generated a data encryption key in ${resolve(file)} (mode 0600): customers' phones, e-mails and ` +
          'birthdays are encrypted with it. ' +
          'Back it up apart from the database: without it they cannot be read. Set DATA_ENCRYPTION_KEY to ' +
          'manage it yourself.',
      );
    }
    if (config.DATABASE_URL) {
      logger?.warn(
        'DATA_ENCRYPTION_KEY is not set: using the key in the data folder. Every process and machine on this ' +
          'database needs the same key; set DATA_ENCRYPTION_KEY.',
      );
    }
    return { keyring: new Keyring(parseDataKey(text, file), previous), currentText: text };
  }
  return { keyring: new Keyring(parseDataKey(text, 'DATA_ENCRYPTION_KEY'), previous), currentText: text };
}

/**
 * Checks the key ring against the keys the database has seen, and records new ones:
 * a configured key whose fingerprint differs from the recorded one with its id is the wrong key;
 * a recorded key that is not retired (`npm run keys:rotate` retires a key once nothing uses it)
 * and not configured may still hold data. Either refuses the start with what to do.
 */
export async function verifyDataKeys(db: Db, keys: Keyring): Promise<void> {
  const recorded = await db.encryptionKey.findMany();
  for (const row of recorded) {
    const key = keys.keys.get(row.id);
    if (key && !sameFingerprint(key.fingerprint, row.fingerprint)) {
      const variable = key === keys.current ? 'DATA_ENCRYPTION_KEY' : 'DATA_ENCRYPTION_PREVIOUS_KEYS';
      throw new KeyConfigError(
        `${variable}: key "${row.id}" is not the key "${row.id}" this database was encrypted with (its ` +
          `fingerprint differs). Configure the original key; a new key needs a new id and \`npm run ` +
          `keys:rotate\`.`,
      );
    }
    if (!key && !row.retiredAt) {
      throw new KeyConfigError(
        `this database has data encrypted with key "${row.id}", which is not configured: add it to ` +
          `DATA_ENCRYPTION_PREVIOUS_KEYS (or DATA_ENCRYPTION_KEY) until \`npm run keys:rotate\` has finished ` +
          'moving its data to the current key.',
      );
    }
  }
  // Recorded only once the start is accepted: a refused key leaves no trace.
  for (const key of keys.keys.values()) {
    await db.$executeRaw`INSERT INTO "EncryptionKey" (id, fingerprint)
      VALUES (${key.id}, ${key.fingerprint}) ON CONFLICT (id) DO NOTHING`;
  }
}
