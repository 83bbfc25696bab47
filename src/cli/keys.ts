// `npm run keys -- new [id]`: prints a new data encryption key (DATA_ENCRYPTION_KEY's form).
// `npm run keys -- status`: which keys the stored customer data uses, and which are retired.
// `npm run keys:rotate [-- --batch=500]`: re-encrypts everything under DATA_ENCRYPTION_KEY while the
// API keeps serving (PostgreSQL), resumable and idempotent. See docs/security.md, "Encryption at rest".
import { loadConfig } from '../config.ts';
import { KeyConfigError, newDataKeyText } from '../crypto/keyring.ts';
import { resolveDataKeys, verifyDataKeys } from '../crypto/keys.ts';
import { keyUsage, rotateCustomerKeys } from '../customers/rotate.ts';
import { openForCommand } from './open.ts';

const [command = 'help', ...rest] = process.argv.slice(2);

if (command === 'new') {
  try {
    process.stdout.write(
      `${newDataKeyText(rest[0] ?? `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`)}\n`,
    );
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
  process.exit(0);
}
if (command !== 'status' && command !== 'rotate') {
  process.stdout.write(
    'usage: npm run keys -- new [key id] | npm run keys -- status | npm run keys:rotate [-- --batch=500]\n',
  );
  process.exit(command === 'help' ? 0 : 1);
}

const config = loadConfig();
let keys: ReturnType<typeof resolveDataKeys>;
try {
  keys = resolveDataKeys(config);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
const db = await openForCommand(config, `keys ${command}`);
try {
  await verifyDataKeys(db.prisma, keys.keyring);
  if (command === 'status') {
    const usage = await keyUsage(db.prisma);
    const recorded = await db.prisma.encryptionKey.findMany({ orderBy: { createdAt: 'asc' } });
    for (const key of recorded) {
      const role = key.id === keys.keyring.current.id ? 'current' : keys.keyring.keys.has(key.id) ? 'previous' : '-';
      const retired = key.retiredAt ? `  retired ${key.retiredAt.toISOString()}` : '';
      process.stdout.write(
        `${key.id.padEnd(20)} ${role.padEnd(9)} ${String(usage[key.id] ?? 0).padStart(9)} customers${retired}\n`,
      );
    }
  } else {
    const batch = Number(rest.find((a) => a.startsWith('--batch='))?.slice(8) ?? 500);
    if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new KeyConfigError('--batch: 1 to 10000');
    process.stdout.write(`re-encrypting customer data under key "${keys.keyring.current.id}"…\n`);
    let last = Date.now();
    const { rotated, retired } = await rotateCustomerKeys(db.prisma, keys.keyring, {
      batchSize: batch,
      onBatch: ({ rotated }) => {
        if (Date.now() - last < 2000) return;
        last = Date.now();
        process.stdout.write(`  ${rotated} customers re-encrypted\n`);
      },
    });
    process.stdout.write(`done: ${rotated} customers re-encrypted.\n`);
    if (retired.length)
      process.stdout.write(
        `retired (no data uses them; remove from DATA_ENCRYPTION_PREVIOUS_KEYS): ${retired.join(', ')}\n`,
      );
  }
} catch (error) {
  process.stderr.write(`keys ${command} failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
