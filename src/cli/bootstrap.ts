// First start of a real deployment (no demo data): creates the first store and its owner.
//
//   STORE_CODE=BJ-001 STORE_NAME=北京旗舰店 OWNER_NAME=张三 OWNER_LOGIN=13900000000 OWNER_PASSWORD=… npm run bootstrap
//
// Refuses to run when the database already has staff, so it cannot be used to add an owner later.
import { loadConfig } from '../config.ts';
import { openForCommand } from './open.ts';
import { migrateDatabase } from '../db/setup.ts';
import { loadInstalledPlugins } from '../plugin-host/config.ts';
import { createStaff } from '../staff/service.ts';
import { createStore } from '../stores/service.ts';
import { UserError } from '../errors/index.ts';
import { translate } from '../i18n/messages.ts';

const need = (name: string) => {
  const value = process.env[name]?.trim();
  if (!value) {
    process.stderr.write(`${name} is required (see the comment at the top of src/cli/bootstrap.ts)\n`);
    process.exit(2);
  }
  return value;
};
const input = {
  storeCode: need('STORE_CODE'),
  storeName: need('STORE_NAME'),
  ownerName: need('OWNER_NAME'),
  ownerLogin: need('OWNER_LOGIN'),
  ownerPassword: need('OWNER_PASSWORD'),
};

const config = loadConfig();
const db = await openForCommand(config, 'bootstrap');
try {
  await migrateDatabase(
    db,
    (await loadInstalledPlugins()).flatMap((p) => (p.migrationsDir ? [p.migrationsDir] : [])),
  );
  if ((await db.prisma.staff.count()) > 0) {
    process.stderr.write('This database already has staff; sign in as an owner and use createStaff instead.\n');
    process.exitCode = 1;
  } else {
    await db.prisma.$transaction(async (tx) => {
      // No API process hears a command-line transaction's events: nothing to announce.
      const store = await createStore({ tx, emit: () => {} }, { code: input.storeCode, name: input.storeName }, null);
      await createStaff(tx, {
        name: input.ownerName,
        login: input.ownerLogin,
        password: input.ownerPassword,
        roles: [{ storeId: store.id, role: 'OWNER' }],
      });
    });
    process.stdout.write(`Created store ${input.storeCode} and its owner ${input.ownerLogin}.\n`);
  }
} catch (error) {
  if (!(error instanceof UserError)) throw error;
  process.stderr.write(`${translate(error.code, error.params, 'zh-CN')} (${error.field?.join('.') ?? ''})\n`);
  process.exitCode = 1;
} finally {
  await db.close();
}
