import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installKeyring, Keyring, keyring, newDataKeyText, parseDataKey } from '../src/crypto/keyring.ts';
import { verifyDataKeys } from '../src/crypto/keys.ts';
import { keyUsage, rotateCustomerKeys } from '../src/customers/rotate.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { DEMO_ACCOUNTS } from '../src/demo/seed.ts';
import { migrate } from '../src/db/migrate.ts';
import { allMigrations, migrateDatabase } from '../src/db/setup.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { postgresUrl, TEST_DATA_KEY } from './helpers/database.ts';
import { startApiProcess } from './helpers/process.ts';
import { phoneNumbers, rawId } from './helpers/queries.ts';

// Customers' phone, e-mail and birthday are encrypted at rest (docs/security.md, "Encryption at
// rest"): what is stored is not plaintext, exact look-ups still work through keyed hashes, a key
// rotation re-encrypts everything while reads keep working, and a wrong or missing key is refused.

const PROFILE = `query($phone: String, $id: ID) { customer(phone: $phone, id: $id) { id name phone email birthday } }`;
const SEARCH = `query($f: CustomerFilter) { customers(first: 50, filter: $f) { edges { node { id phone } } } }`;
const LOOKUP = `query($phone: String, $last4: String, $name: String) {
  memberLookup(phone: $phone, phoneLast4: $last4, name: $name) { code customer { id phone } } }`;
const CREATE = `mutation($input: CreateCustomerInput!) {
  createCustomer(input: $input) { __typename ... on Customer { id phone email birthday }
    ... on UserError { errorCode field } } }`;

const freshPhone = phoneNumbers();

let t: TestApp;
const owner = () => t.as('OWNER');

/** Every stored column of the customer (by database id or global id), as text, straight from SQL. */
async function storedRow(anyId: string): Promise<Record<string, string | null>> {
  const id = /^[0-9a-f-]{36}$/.test(anyId) ? anyId : rawId(anyId);
  const rows = await t.db.database.prisma.$queryRawUnsafe<{ row: Record<string, string | null> }[]>(
    `SELECT to_jsonb(c) - 'searchTerms' AS row FROM "Customer" c WHERE id = $1::uuid`,
    id,
  );
  return rows[0]!.row;
}

async function createCustomer(name: string, phone: string, email: string | null, birthday: string | null) {
  const r = await owner().ok(CREATE, { input: { name, phone, email, birthday } });
  expect(r.createCustomer.__typename, JSON.stringify(r.createCustomer)).toBe('Customer');
  const id = r.createCustomer.id as string;
  const enrolled = await owner().ok(
    `mutation($id: ID!) { enrollMember(input: { customerId: $id }) { __typename ... on Member { code } } }`,
    { id },
  );
  expect(enrolled.enrollMember.__typename).toBe('Member');
  return id;
}

/** The look-ups of one customer that must keep working whatever key wrote their row. */
async function expectFound(id: string, name: string, phone: string) {
  const profile = await owner().ok(PROFILE, { phone: `+86 ${phone.slice(0, 3)}-${phone.slice(3)}` });
  expect(profile.customer?.id).toBe(id);
  expect(profile.customer.phone).toBe(phone);
  const byQuery = await owner().ok(SEARCH, { f: { query: phone } });
  expect(byQuery.customers.edges[0]?.node.id).toBe(id);
  const byLast4 = await owner().ok(SEARCH, { f: { phoneLast4: phone.slice(-4) } });
  expect(byLast4.customers.edges.map((e: any) => e.node.id)).toContain(id);
  const last4Query = await owner().ok(SEARCH, { f: { query: phone.slice(-4) } });
  expect(last4Query.customers.edges.map((e: any) => e.node.id)).toContain(id);
  const till = await owner().ok(LOOKUP, { last4: phone.slice(-4), name: name.slice(1) });
  expect(till.memberLookup.map((m: any) => m.customer.id)).toContain(id);
  const byPhone = await owner().ok(LOOKUP, { phone });
  expect(byPhone.memberLookup.map((m: any) => m.customer.id)).toEqual([id]);
}

beforeAll(async () => {
  t = await startTestApp({ seed: { customers: 20, sales: 20, days: 10 } });
}, 120_000);
afterAll(async () => {
  installKeyring(new Keyring(parseDataKey(TEST_DATA_KEY, 'test')));
  await t?.close();
});

describe('encryption at rest', () => {
  it('stores phone, e-mail and birthday encrypted, never in plaintext, and reads them back via the API', async () => {
    const phone = freshPhone('7310');
    const id = await createCustomer('加密测试', phone, 'Secret.Person@Example.cn', '1990-05-17');
    const profile = await owner().ok(PROFILE, { id });
    expect(profile.customer).toMatchObject({
      phone,
      email: 'secret.person@example.cn',
      birthday: '1990-05-17',
    });

    const row = await storedRow(
      (await t.db.database.prisma.customer.findFirstOrThrow({ where: { name: '加密测试' } })).id,
    );
    const text = JSON.stringify(row);
    for (const plain of [
      phone,
      phone.slice(-4),
      phone.slice(3, 7),
      'secret.person',
      'example.cn',
      '1990-05-17',
      '19900517',
    ])
      expect(text).not.toContain(plain);
    // No plaintext column is left (the migration dropped them).
    expect(row).not.toHaveProperty('phone');
    expect(row).not.toHaveProperty('email');
    expect(row).not.toHaveProperty('birthday');
    expect(row).not.toHaveProperty('phoneLast4');
    // Ciphertext names its key; GCM's random IV makes equal values differ.
    expect(row.phoneEnc).toMatch(/^test1:[A-Za-z0-9+/]+=*$/);
    expect(row.phoneHash).toMatch(/^test1:[A-Za-z0-9_-]{22}$/);
    const other = await createCustomer('加密测试二', freshPhone('7310'), null, '1990-05-17');
    const otherRow = await storedRow(
      (await t.db.database.prisma.customer.findFirstOrThrow({ where: { name: '加密测试二' } })).id,
    );
    expect(otherRow.birthdayEnc).not.toBe(row.birthdayEnc);
    // The same last four digits: the same keyed hash, so the look-up can use its index.
    expect(otherRow.phoneLast4Hash).toBe(row.phoneLast4Hash);
    expect(other).toBeTruthy();

    // The demo data, written set-based, is encrypted too.
    const plainDemo = await t.db.database.prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM "Customer" WHERE "phoneEnc" IS NOT NULL AND "phoneEnc" !~ '^test1:'`,
    );
    expect(plainDemo[0]!.n).toBe(0);
  });

  it('finds customers by exact phone and last four digits through keyed hashes; one phone per customer', async () => {
    const phone = freshPhone('8642');
    const id = await createCustomer('查找测试', phone, 'find.me@example.cn', null);
    await expectFound(id, '查找测试', phone);
    const byEmail = await owner().ok(SEARCH, { f: { query: 'FIND.ME@example.cn' } });
    expect(byEmail.customers.edges[0]?.node.id).toBe(id);

    const dup = await owner().ok(CREATE, { input: { name: '重复号码', phone: `+86${phone}` } });
    expect(dup.createCustomer).toMatchObject({ __typename: 'ConflictError', errorCode: 'DUPLICATE_PHONE' });
    // A phone no one has: nobody, not an error.
    expect((await owner().ok(PROFILE, { phone: freshPhone() })).customer).toBeNull();
  });

  it('a merge moves the encrypted phone to the survivor, who is then found by it', async () => {
    const phone = freshPhone('5151');
    const merged = await createCustomer('合并来源', phone, null, '1985-01-02');
    const survivor = (await owner().ok(CREATE, { input: { name: '合并目标' } })).createCustomer.id;
    const r = await owner().ok(
      `mutation($s: ID!, $m: ID!) { mergeCustomers(survivorId: $s, mergedId: $m) { __typename
         ... on Customer { id phone birthday } } }`,
      { s: survivor, m: merged },
    );
    expect(r.mergeCustomers).toMatchObject({ id: survivor, phone, birthday: '1985-01-02' });
    expect((await owner().ok(PROFILE, { phone })).customer.id).toBe(survivor);
  });

  it('rotates to a new key in batches while reads keep working, resumably, then retires the old key', async () => {
    const people: { id: string; name: string; phone: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const phone = freshPhone(String(4000 + i));
      const name = `轮换${'甲乙丙丁戊己庚辛壬癸子丑'[i]}${i}`;
      people.push({ id: await createCustomer(name, phone, `rotate${i}@example.cn`, '2000-02-29'), name, phone });
    }
    const db = t.db.database.prisma;
    const old = parseDataKey(TEST_DATA_KEY, 'test');
    const next = parseDataKey(newDataKeyText('test2'), 'test');
    // A restart with the new key current and the old one still readable.
    installKeyring(new Keyring(next, [old]));
    await verifyDataKeys(db, keyring());
    // Before the rotation: old rows are read and found with the old key, new rows are written with the new one.
    await expectFound(people[0]!.id, people[0]!.name, people[0]!.phone);
    const later = { phone: freshPhone('4999'), name: '轮换后写入' };
    const laterId = await createCustomer(later.name, later.phone, null, null);
    expect((await storedRow(laterId)).phoneEnc).toMatch(/^test2:/);
    await expectFound(laterId, later.name, later.phone);

    // Interrupted after its second batch: what it did stays done, and nothing is half-written.
    let batches = 0;
    await expect(
      rotateCustomerKeys(db, keyring(), {
        batchSize: 5,
        onBatch: () => {
          if (++batches === 2) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const midway = await keyUsage(db);
    expect(midway.test1).toBeGreaterThan(0);
    expect(midway.test2).toBeGreaterThan(1);

    // Run again: it carries on; between its batches, with some rows moved and some not yet,
    // every look-up of the first, the last and a new customer still works.
    let checkedDuring = 0;
    const { rotated, retired } = await rotateCustomerKeys(db, keyring(), {
      batchSize: 5,
      onBatch: async () => {
        for (const p of [people[0]!, people[11]!, { id: laterId, ...later }]) await expectFound(p.id, p.name, p.phone);
        checkedDuring++;
      },
    });
    expect(checkedDuring).toBeGreaterThan(1);
    for (const p of people) await expectFound(p.id, p.name, p.phone);
    expect(rotated).toBeGreaterThan(0);
    expect(retired).toEqual(['test1']);
    const usage = await keyUsage(db);
    expect(Object.keys(usage)).toEqual(['test2']);
    const leftovers = await db.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM "Customer" WHERE concat_ws(' ', "phoneEnc", "phoneHash", "phoneLast4Hash",
         "emailEnc", "emailHash", "birthdayEnc") ~ 'test1:'`,
    );
    expect(leftovers[0]!.n).toBe(0);
    // Idempotent: a second run finds nothing to do.
    expect((await rotateCustomerKeys(db, keyring())).rotated).toBe(0);

    // The old key retired, the process runs on the new key alone and still reads and finds everyone.
    installKeyring(new Keyring(next));
    await verifyDataKeys(db, keyring());
    for (const p of people.slice(0, 3)) await expectFound(p.id, p.name, p.phone);
    const profile = await owner().ok(PROFILE, { id: people[5]!.id });
    expect(profile.customer).toMatchObject({ email: 'rotate5@example.cn', birthday: '2000-02-29' });

    // Without the key that wrote the data: refused with what to do, and a read fails clearly.
    const stranger = parseDataKey(newDataKeyText('test3'), 'test');
    await expect(verifyDataKeys(db, new Keyring(stranger))).rejects.toThrow(
      /data encrypted with key "test2", which is not configured: add it to DATA_ENCRYPTION_PREVIOUS_KEYS/,
    );
    // The right id with the wrong bytes: refused by its fingerprint.
    const impostor = parseDataKey(`test2:${randomBytes(32).toString('base64')}`, 'test');
    await expect(verifyDataKeys(db, new Keyring(impostor))).rejects.toThrow(
      /DATA_ENCRYPTION_KEY: key "test2" is not the key "test2" this database was encrypted with/,
    );
    installKeyring(new Keyring(impostor));
    const denied = await owner().gql(PROFILE, { id: people[0]!.id });
    expect(denied.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(() => new Keyring(impostor).decrypt('Customer.phone', 'test2:AAAA')).toThrow(/truncated/);
    installKeyring(new Keyring(next));
  });

  it('rejects malformed keys with the form expected', () => {
    expect(() => parseDataKey('abc', 'DATA_ENCRYPTION_KEY')).toThrow(/expected "<key id>:<base64 of 32 random bytes>"/);
    expect(() => parseDataKey(`k1:${randomBytes(16).toString('base64')}`, 'DATA_ENCRYPTION_KEY')).toThrow(
      /not base64 of exactly 32 bytes/,
    );
    const key = parseDataKey(newDataKeyText('k1'), 'x');
    const ring = new Keyring(key);
    const stored = ring.encrypt('Customer.phone', '13800000000');
    // Bound to its field: a phone's ciphertext copied into the e-mail column does not decrypt.
    expect(() => ring.decrypt('Customer.email', stored)).toThrow(/does not decrypt with key "k1"/);
    // Altered ciphertext fails authentication.
    const raw = Buffer.from(stored.slice(3), 'base64');
    raw[14] = raw[14]! ^ 1;
    expect(() => ring.decrypt('Customer.phone', `k1:${raw.toString('base64')}`)).toThrow(/was altered/);
  });
});

/** A database of its own, migrated only up to (not including) `before`. */
async function databaseBefore(before: string): Promise<{ database: Database; drop: () => Promise<void> }> {
  const usePostgres = Boolean(process.env.DATABASE_URL);
  if (!usePostgres) {
    // Not from the embedded template: that one has every migration applied already.
    const database = await openDatabase({ dataDir: 'memory://', template: false });
    await migrate(
      database.sql,
      allMigrations().filter((m) => m.name < before),
    );
    return { database, drop: () => database.close() };
  }
  const name = `storecrm_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  await migrate(
    database.sql,
    allMigrations().filter((m) => m.name < before),
  );
  return {
    database,
    drop: async () => {
      await database.close().catch(() => {});
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

describe('the migration that encrypts existing customers', () => {
  it('encrypts every plaintext row, drops the plaintext columns, and the rows are found as before', async () => {
    installKeyring(new Keyring(parseDataKey(TEST_DATA_KEY, 'test')));
    const { database, drop } = await databaseBefore('20261201230000_customer_encryption');
    try {
      await database.sql.exec(`
        INSERT INTO "Customer" (id, name, phone, "phoneLast4", email, birthday, "updatedAt")
        SELECT ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid, '旧客' || i,
          '1357777' || lpad(i::text, 4, '0'),
               lpad(i::text, 4, '0'), CASE WHEN i % 2 = 0 THEN 'old' || i || '@example.cn' END, DATE '1980-01-01' + i,
               now()
        FROM generate_series(1, 2500) AS i`);
      await migrateDatabase(database);
      const columns = await database.sql.query(
        `SELECT column_name FROM information_schema.columns
         WHERE table_name = 'Customer' AND column_name IN ('phone', 'email', 'birthday', 'phoneLast4')`,
      );
      expect(columns).toEqual([]);
      const dump = await database.sql.query(
        `SELECT string_agg((to_jsonb(c) - 'searchTerms')::text, ' ') AS all FROM "Customer" c`,
      );
      expect(dump[0]!.all).not.toMatch(/1357777|@example\.cn|1980-|198\d-\d\d-\d\d/);
      const counts = await database.sql.query(
        `SELECT count("phoneEnc")::int AS phones, count("emailEnc")::int AS emails,
           count("birthdayEnc")::int AS birthdays FROM "Customer"`,
      );
      expect(counts[0]).toEqual({ phones: 2500, emails: 1250, birthdays: 2500 });
      // Read back through the same functions the API uses.
      const { openPhone, openBirthday, phoneHashes } = await import('../src/customers/personal.ts');
      const found = await database.prisma.customer.findFirstOrThrow({
        where: { phoneHash: { in: phoneHashes('13577771234') } },
      });
      expect(found.name).toBe('旧客1234');
      expect(openPhone(found.phoneEnc)).toBe('13577771234');
      expect(openBirthday(found.birthdayEnc)?.toISOString().slice(0, 10)).toBe('1983-05-19');
    } finally {
      await drop();
    }
  }, 120_000);

  it('refuses to drop plaintext a migration tool without the key left unencrypted', async () => {
    const { database, drop } = await databaseBefore('20261201230000_customer_encryption');
    try {
      await database.sql.exec(
        `INSERT INTO "Customer" (id, name, phone, "updatedAt")
         VALUES ('00000000-0000-7000-8000-000000000001', '旧客', '13577770001', now())`,
      );
      // The first half applied without its data step, as `prisma migrate deploy` would.
      await migrate(
        database.sql,
        allMigrations().filter((m) => m.name <= '20261201230000_customer_encryption'),
      );
      await expect(migrate(database.sql, allMigrations())).rejects.toThrow(/customers are still stored in plaintext/);
      const kept = await database.sql.query(`SELECT phone FROM "Customer"`);
      expect(kept).toEqual([{ phone: '13577770001' }]);
    } finally {
      await drop();
    }
  }, 120_000);
});

describe('the data key at start', () => {
  const folders: string[] = [];
  afterAll(() => {
    for (const f of folders) rmSync(f, { recursive: true, force: true });
  });

  // The child processes use the embedded database whatever the suite runs on, so this runs once,
  // in the embedded pass: in the PostgreSQL pass it would test the same thing again for minutes.
  it.skipIf(!!process.env.DATABASE_URL)(
    'embedded: generates a key on first start (0600, logged with its place), reuses it, ' +
      'refuses a wrong or missing one, and rotates to a new one by itself',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'storecrm-key-'));
      folders.push(dataDir);
      const env = { DATA_DIR: dataDir, DATA_ENCRYPTION_KEY: '', DATABASE_URL: '', DEMO_DATA: 'auto' };
      const first = await startApiProcess(env, 240_000);
      await first.stop();
      const file = join(dataDir, 'data-encryption-key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const key = readFileSync(file, 'utf8').trim();
      expect(() => parseDataKey(key, file)).not.toThrow();
      expect(first.output()).toContain(`generated a data encryption key in ${file}`);
      // The demo customers are encrypted with it, and a restart reads them with the same key.
      const second = await startApiProcess(env, 240_000);
      await second.stop();
      expect(readFileSync(file, 'utf8').trim()).toBe(key);
      expect(second.output()).not.toContain('generated a data encryption key');

      const wrong = `k1:${randomBytes(32).toString('base64')}`;
      await expect(startApiProcess({ ...env, DATA_ENCRYPTION_KEY: wrong }, 240_000)).rejects.toThrow(
        /store-crm cannot start: DATA_ENCRYPTION_KEY: key "k1" is not the key "k1" this database was encrypted with/,
      );
      await expect(startApiProcess({ ...env, DATA_ENCRYPTION_KEY: newDataKeyText('k2') }, 240_000)).rejects.toThrow(
        /data encrypted with key "k1", which is not configured/,
      );

      // A new key with the old one as previous: the embedded server (no other process may open its
      // folder) re-encrypts in the background while it serves, and retires the old key.
      const k3 = newDataKeyText('k3');
      const rotating = await startApiProcess(
        { ...env, DATA_ENCRYPTION_KEY: k3, DATA_ENCRYPTION_PREVIOUS_KEYS: key },
        240_000,
      );
      // The log is JSON: the message's quotes are escaped there (\"k3\"), so match the line's key instead.
      const done = () => rotating.output().includes('"msg":"customer data re-encrypted under key');
      const until = Date.now() + 180_000;
      while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      await rotating.stop();
      expect(done()).toBe(true);
      expect(rotating.output()).toContain('re-encrypted under key \\"k3\\"; retired k1');
      // The old key is no longer needed: the new one alone starts, and reads the data.
      const after = await startApiProcess({ ...env, DATA_ENCRYPTION_KEY: k3 }, 240_000);
      const res = await fetch(`http://127.0.0.1:${after.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation($l: String!, $p: String!) { signIn(login: $l, password: $p) {
            ... on SignInPayload { token } } }`,
          variables: { l: DEMO_ACCOUNTS[0]!.login, p: DEMO_ACCOUNTS[0]!.password },
        }),
      });
      const token = ((await res.json()) as any).data?.signIn?.token;
      expect(token).toBeTruthy();
      const read = await fetch(`http://127.0.0.1:${after.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ customers(first: 5) { edges { node { phone birthday } } } }' }),
      });
      const phones = ((await read.json()) as any).data.customers.edges.map((e: any) => e.node.phone);
      await after.stop();
      expect(phones).toHaveLength(5);
      for (const phone of phones) expect(phone).toMatch(/^1\d{10}$/);
    },
    900_000,
  );

  it('production with PostgreSQL and no key: refuses to start and says what to set', async () => {
    await expect(
      startApiProcess({
        NODE_ENV: 'production',
        DATABASE_URL: postgresUrl || 'postgres://root@127.0.0.1:5432/postgres',
        DATA_ENCRYPTION_KEY: '',
        JWT_SECRET: randomBytes(32).toString('hex'),
      }),
    ).rejects.toThrow(/store-crm cannot start: DATA_ENCRYPTION_KEY is required in production with PostgreSQL/);
  }, 60_000);
});
