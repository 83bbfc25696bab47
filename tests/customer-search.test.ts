import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { inSearchOrder, phoneNumbers, RECORD_SALE, uniqueId } from './helpers/queries.ts';

// Customer search and the checkout look-up, through GraphQL. What a search must return is worked
// out from the whole customer list as the API gives it (demo customers included), so every check
// also covers names this file did not write.

const FIELDS = 'id name phone email lastPurchaseAt member { code }';
type Person = {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  lastPurchaseAt: string | null;
  member: { code: string } | null;
};
type Page = {
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: { cursor: string; node: { id: string } }[];
};

const SEARCH = `query($f: CustomerFilter, $first: Int, $after: String, $last: Int, $before: String) {
  customers(filter: $f, first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
  }
}`;
const LOOKUP = `query($last4: String, $name: String) {
  memberLookup(phoneLast4: $last4, name: $name) { code customer { id name } } }`;
const DAY = 86_400_000;

/**
 * What the search promises to match (see CustomerFilter.query): name text, the phone's last 4
 * digits or the whole phone (phones are encrypted: no other piece is searchable), code, e-mail.
 */
function matches(p: Person, query: string) {
  const q = query.trim();
  const digits = q.replace(/\D/g, '');
  const phoneLike = digits.length >= 3 && digits === q.replace(/[\s-]/g, '');
  const byPhone =
    phoneLike && p.phone !== null && (digits.length === 4 ? p.phone.endsWith(digits) : p.phone === digits);
  return (
    p.name.toLowerCase().includes(q.toLowerCase()) || byPhone || p.member?.code === q || p.email === q.toLowerCase()
  );
}

describe('customer search', () => {
  let t: TestApp;
  let store: string;
  const owner = () => t.as('OWNER');

  const freshPhone = phoneNumbers();

  beforeAll(async () => {
    t = await startTestApp({ seed: { customers: 40, sales: 150, days: 60 } });
    store = t.stores.find((s) => s.code === 'BJ-SLT')!.id;
    await owner().ok(
      `mutation($s: ID!) { adjustStock(storeId: $s, type: RECEIPT, lines: [{ sku: "DR-001", quantity: 10000 }])
         { __typename } }`,
      { s: store },
    );
  }, 120_000);
  afterAll(() => t?.close());

  async function create(name: string, input: { phone?: string | null; email?: string } = {}) {
    const r = await owner().ok(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { __typename
         ... on Customer { id name phone } ... on UserError { errorCode message } } }`,
      {
        input: { name, phone: input.phone === undefined ? freshPhone() : input.phone, email: input.email },
      },
    );
    expect(r.createCustomer.__typename, JSON.stringify(r.createCustomer)).toBe('Customer');
    return r.createCustomer as { id: string; name: string; phone: string | null };
  }
  async function enroll(id: string) {
    const r = await owner().ok(
      `mutation($id: ID!) { enrollMember(input: { customerId: $id }) { __typename ... on Member { code } } }`,
      { id },
    );
    expect(r.enrollMember.__typename).toBe('Member');
    return r.enrollMember.code as string;
  }
  /** A sale for the customer `daysAgo` days ago, which becomes their last purchase if it is the latest. */
  async function buy(customerId: string, daysAgo: number) {
    const r = await t.ok(
      RECORD_SALE,
      {
        input: {
          storeId: store,
          externalId: uniqueId('SEARCH'),
          customerId,
          occurredAt: new Date(Date.now() - daysAgo * DAY).toISOString(),
          lines: [{ sku: 'DR-001', quantity: 1, unitPrice: '3.00' }],
          payments: [{ method: 'CASH', amount: '3.00' }],
        },
      },
      { apiKey: t.posKey },
    );
    expect(r.recordSale.__typename, JSON.stringify(r.recordSale)).toBe('RecordSalePayload');
  }
  async function page(variables: Record<string, unknown>, role: 'OWNER' | 'MANAGER' = 'OWNER'): Promise<Page> {
    return (await t.as(role).ok(SEARCH, variables)).customers;
  }
  /** Ids matching `filter`, in the order the API gives them, over pages of `size`. */
  async function ids(filter: object, size = 100) {
    const found: string[] = [];
    let after: string | null = null;
    for (let n = 0; n < 100; n++) {
      const p = await page({ f: filter, first: size, after });
      found.push(...p.edges.map((e) => e.node.id));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    return found;
  }
  /** Every live customer, newest first. */
  async function everyone(): Promise<Person[]> {
    const people: Person[] = [];
    let after: string | null = null;
    for (let n = 0; n < 100; n++) {
      const r: any = await owner().ok(
        `query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
           edges { node { ${FIELDS} } } } }`,
        { after },
      );
      people.push(...r.customers.edges.map((e: any) => e.node));
      if (!r.customers.pageInfo.hasNextPage) break;
      after = r.customers.pageInfo.endCursor;
    }
    return people;
  }
  /** The search for `query` lists exactly the matching customers, in search order. */
  async function expectSearch(
    people: Person[],
    query: string,
    extra: (p: Person) => boolean = () => true,
    filter: object = {},
  ) {
    const expected = inSearchOrder(
      people.filter((p) => matches(p, query) && extra(p)),
      query,
    ).map((p) => p.id);
    expect(await ids({ ...filter, query }), query).toEqual(expected);
    return expected;
  }

  it('finds 1- and 2-character Chinese fragments in any position, and only names that contain them', async () => {
    const names = [
      '王芳',
      '王芳芳',
      '汪芳',
      '王小芳',
      '芳王',
      '李建国',
      '欧阳建国',
      '建国',
      '张建华',
      '国建',
      '王小小芳',
    ];
    const made = new Map<string, string>();
    for (const name of names) made.set(name, (await create(name)).id);
    const people = await everyone();
    for (const fragment of [
      '芳',
      '王',
      '汪',
      '建国',
      '国建',
      '王芳',
      '芳王',
      '欧阳',
      '阳建',
      '小小',
      '王小芳',
      '欧阳建国',
    ]) {
      const found = await expectSearch(people, fragment);
      expect(found.length, fragment).toBeGreaterThan(0);
    }
    const named = async (fragment: string) =>
      (await ids({ query: fragment }))
        .filter((id) => [...made.values()].includes(id))
        .map((id) => names.find((n) => made.get(n) === id));
    // Spelled out, so the rule the expectations above are computed by is checked too.
    expect((await named('王芳')).sort()).toEqual(['王芳', '王芳芳'].sort());
    expect((await named('国建')).sort()).toEqual(['国建']);
    expect((await named('汪')).sort()).toEqual(['汪芳']);
    // Both of its pieces are in 王小小芳, but not the text itself.
    expect(await named('王小芳')).toEqual(['王小芳']);
    expect(await named('赟')).toEqual([]);
  });

  it('matches Latin letters whatever their case, and % and _ as plain characters', async () => {
    for (const name of [
      'Alice Wang',
      'ALICE LI',
      'Malice',
      'Bob wang',
      'li_na',
      'lixna',
      '五折%会员',
      '100% 满意',
      'back\\slash',
    ])
      await create(name);
    const people = await everyone();
    for (const fragment of ['alice', 'ALICE', 'Wang', 'a', 'Li', 'e w', 'li_na', '%', '_', '五折%', '\\'])
      await expectSearch(people, fragment);
    const names = async (q: string) =>
      (await ids({ query: q })).map((id) => people.find((p) => p.id === id)!.name).sort();
    expect(await names('alice')).toEqual(['ALICE LI', 'Alice Wang', 'Malice']);
    expect(await names('li_na')).toEqual(['li_na']);
    expect(await names('%')).toEqual(['100% 满意', '五折%会员']);
  });

  it('finds by last 4 digits, whole phone, member code, e-mail, exact matches first; no other phone part', async () => {
    const phone = freshPhone('4321');
    const a = await create('号码测试', { phone, email: 'Haoma@Example.cn' });
    const code = await enroll(a.id);
    await create('号码测试二', { phone: freshPhone('4321') });
    const people = await everyone();
    for (const q of [
      '4321',
      phone.slice(0, 3),
      phone.slice(3, 8),
      `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`,
      phone,
      code,
      'haoma@example.cn',
      '号码测试',
    ]) {
      await expectSearch(people, q);
    }
    expect((await ids({ query: phone }))[0]).toBe(a.id);
    // The phone is stored encrypted: a piece of it other than the last four digits finds nobody.
    expect(await ids({ query: phone.slice(3, 8) })).toEqual([]);
    expect(await ids({ query: phone.slice(0, 7) })).toEqual([]);
    expect((await ids({ query: code }))[0]).toBe(a.id);
    expect((await ids({ query: 'HAOMA@example.cn' }))[0]).toBe(a.id);
    // The whole name first, then the longer one.
    expect((await ids({ query: '号码测试' })).slice(0, 2)).toEqual([
      a.id,
      people.find((p) => p.name === '号码测试二')!.id,
    ]);
    // Longer than any name may be: still an e-mail address, and a long paste finds nobody.
    const longEmail = `${'very.long.mailbox.name.'.repeat(3)}x@example.cn`;
    expect(longEmail.length).toBeGreaterThan(60);
    const b = await create('长邮箱', { email: longEmail });
    expect(await ids({ query: longEmail })).toEqual([b.id]);
    expect(await ids({ query: '王'.repeat(200) })).toEqual([]);
    // Past the documented bound of a string input (README, Input limits): refused, naming the field.
    const tooLong = await t
      .as('OWNER')
      .gql(`query($f: CustomerFilter) { customers(first: 5, filter: $f) { totalCount } }`, {
        f: { query: '王'.repeat(5000) },
      });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      errorCode: 'INPUT_TOO_LONG',
      field: ['filter', 'query'],
    });
  });

  it('ranks exact names first, then by last purchase (latest first), then never-buyers, newest first', async () => {
    const never = await create('排序');
    const old = await create('排序甲');
    const recent = await create('乙排序');
    const exactBought = await create('排序');
    const neverToo = await create('排序丙');
    await buy(old.id, 20);
    await buy(recent.id, 2);
    await buy(exactBought.id, 30);
    expect(await ids({ query: '排序' })).toEqual([exactBought.id, never.id, recent.id, old.id, neverToo.id]);
    const people = await everyone();
    await expectSearch(people, '排序');
    await expectSearch(people, '序');
  });

  it('never lists a merged-away customer, by name, phone, e-mail or at the checkout', async () => {
    const survivor = await create('合并留下');
    const mergedPhone = freshPhone('5151');
    const merged = await create('合并离开', { phone: mergedPhone, email: 'leaving@example.cn' });
    await enroll(merged.id);
    const r = await owner().ok(
      `mutation($a: ID!, $b: ID!) { mergeCustomers(survivorId: $a, mergedId: $b) { __typename } }`,
      { a: survivor.id, b: merged.id },
    );
    expect(r.mergeCustomers.__typename).toBe('Customer');

    for (const query of ['合并', '离开', '5151', mergedPhone, 'leaving@example.cn']) {
      expect(await ids({ query }), query).not.toContain(merged.id);
    }
    expect(await ids({ query: '合并' })).toContain(survivor.id);
    // The survivor took over the e-mail the merged record had.
    expect(await ids({ query: 'leaving@example.cn' })).toEqual([survivor.id]);
    expect(await ids({ phoneLast4: '5151' })).not.toContain(merged.id);
    const all = await everyone();
    expect(all.map((p) => p.id)).not.toContain(merged.id);
    const count = (await owner().ok(`{ customers(filter: { query: "合并" }) { totalCount } }`)).customers.totalCount;
    expect(count).toBe(all.filter((p) => p.name.includes('合并')).length);
    expect((await t.as('CASHIER').ok(LOOKUP, { last4: '5151', name: '离开' })).memberLookup).toEqual([]);
  });

  it('combines the query with the membership filter and counts what it finds', async () => {
    const member = await create('会员过滤');
    await enroll(member.id);
    const guest = await create('过滤会员');
    const people = await everyone();
    for (const isMember of [true, false]) {
      const expected = await expectSearch(people, '过滤', (p) => (p.member !== null) === isMember, { isMember });
      expect(expected).toContain(isMember ? member.id : guest.id);
      expect(expected).not.toContain(isMember ? guest.id : member.id);
    }
    for (const query of ['王', '芳', '过滤']) {
      const { totalCount } = (
        await owner().ok(`query($q: String) { customers(first: 1, filter: { query: $q }) { totalCount } }`, {
          q: query,
        })
      ).customers;
      expect(totalCount, query).toBe(people.filter((p) => matches(p, query)).length);
    }
  });

  it('looks a member up at the checkout by last 4 digits and part of the name, most recent buyer first', async () => {
    const jianguo = await create('王建国', { phone: freshPhone('6161') });
    const fang = await create('王芳', { phone: freshPhone('6161') });
    const lily = await create('Lily Wang', { phone: freshPhone('6161') });
    const notMember = await create('王五', { phone: freshPhone('6161') });
    const otherDigits = await create('王六', { phone: freshPhone('6162') });
    const codes = new Map<string, string>();
    for (const c of [jianguo, fang, lily, otherDigits]) codes.set(c.id, await enroll(c.id));
    expect(notMember.phone!.endsWith('6161')).toBe(true);
    await buy(jianguo.id, 9);
    await buy(fang.id, 1);

    const cashier = t.as('CASHIER');
    const lookup = async (name: string, last4 = '6161') =>
      ((await cashier.ok(LOOKUP, { last4, name })).memberLookup as { code: string; customer: { id: string } }[]).map(
        (m) => m.customer.id,
      );
    expect(await lookup('王')).toEqual([fang.id, jianguo.id]);
    expect(await lookup('建国')).toEqual([jianguo.id]);
    expect(await lookup('wang')).toEqual([lily.id]);
    expect(await lookup('LILY')).toEqual([lily.id]);
    expect(await lookup('王', '6162')).toEqual([otherDigits.id]);
    for (const wildcard of ['%', '_', '王%']) expect(await lookup(wildcard), wildcard).toEqual([]);
    const found = (await cashier.ok(LOOKUP, { last4: '6161', name: '芳' })).memberLookup;
    expect(found).toEqual([{ code: codes.get(fang.id), customer: { id: fang.id, name: '王芳' } }]);
  });

  describe('paging through a search', () => {
    let expected: string[];
    beforeAll(async () => {
      const made = [];
      for (let i = 0; i < 13; i++) made.push(await create(i % 5 === 0 ? '翻页' : `翻页${i}号`));
      // Distinct days, so that the order is decided by the last purchase, not by chance.
      for (const [i, c] of made.entries()) if (i % 3 !== 2) await buy(c.id, 40 - i * 2);
      expected = inSearchOrder(
        (await everyone()).filter((p) => p.name.includes('翻页')),
        '翻页',
      ).map((p) => p.id);
      expect(expected).toHaveLength(13);
    }, 60_000);

    it('lists every match exactly once in search order, forwards and backwards, whatever the page size', async () => {
      expect(await ids({ query: '翻页' })).toEqual(expected);
      for (const size of [1, 3, 4, 13]) expect(await ids({ query: '翻页' }, size), `first: ${size}`).toEqual(expected);
      // Backwards from the end, then from a cursor in the middle.
      const seen: string[] = [];
      let before: string | null = null;
      for (let n = 0; n < 20; n++) {
        const p: Page = await page({ f: { query: '翻页' }, last: 3, before });
        seen.unshift(...p.edges.map((e) => e.node.id));
        if (!p.pageInfo.hasPreviousPage) break;
        before = p.pageInfo.startCursor;
      }
      expect(seen).toEqual(expected);
      const first5 = await page({ f: { query: '翻页' }, first: 5 });
      const back = await page({ f: { query: '翻页' }, last: 3, before: first5.edges[4]!.cursor });
      expect(back.edges.map((e) => e.node.id)).toEqual(expected.slice(1, 4));
      expect(back.pageInfo.hasPreviousPage).toBe(true);
      const next = await page({ f: { query: '翻页' }, first: 100, after: first5.pageInfo.endCursor });
      expect(next.edges.map((e) => e.node.id)).toEqual(expected.slice(5));
      expect(next.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    });

    it('keeps its place when customers buy or join between pages', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let mover: string | null = null;
      let newcomer: string | null = null;
      for (let n = 0; n < 20; n++) {
        const p: Page = await page({ f: { query: '翻页' }, first: 4, after });
        seen.push(...p.edges.map((e) => e.node.id));
        if (n === 0) {
          // One not yet listed buys now (it moves up, before the cursor), and someone joins.
          mover = expected[8]!;
          await buy(mover, 0);
          newcomer = (await create('翻页新客')).id;
        }
        // The customer the cursor points at buys too: the next page still starts where it was.
        if (n === 1) await buy(p.edges.at(-1)!.node.id, 0);
        if (!p.pageInfo.hasNextPage) break;
        after = p.pageInfo.endCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((id) => id !== newcomer)).toEqual(expected.filter((id) => id !== mover));
      // Never bought, so after everyone who did: still ahead of the cursor when it joined.
      expect(seen).toContain(newcomer);
    });

    it('refuses a cursor from another search or none of ours, and page arguments that do not go together', async () => {
      const p = await page({ f: { query: '翻页' }, first: 2 });
      const cases: [Record<string, unknown>, string, string[]][] = [
        [{ f: {}, first: 2, after: p.pageInfo.endCursor }, 'INVALID_CURSOR', ['after']],
        [{ f: { query: '翻页' }, first: 2, after: 'bm90IGEgY3Vyc29y' }, 'INVALID_CURSOR', ['after']],
        [{ f: { query: '翻页' }, last: 2, before: 'garbage' }, 'INVALID_CURSOR', ['before']],
        [{ f: { query: '翻页' }, first: 2, after: p.pageInfo.endCursor, last: 2 }, 'INVALID_INPUT', ['last']],
      ];
      for (const [variables, errorCode, field] of cases) {
        const r = await owner().gql(SEARCH, variables);
        expect(r.errors?.[0]?.extensions, JSON.stringify(variables)).toEqual({
          code: 'BAD_USER_INPUT',
          errorCode,
          field,
        });
      }
    });
  });
});

describe('a fragment in more names than the search reads through the index', () => {
  // A tier with up to 2,000 matches is read through the index, then sorted; past that, the
  // search walks the last-purchase order instead (src/customers/search.ts, Tier.indexFirst).
  // 2,050 customers share the surname 骆, each with their own last purchase: the first page
  // walks, later pages (fewer than 2,000 left past the cursor) read through the index.
  const COUNT = 2_050;
  let t: TestApp;
  const given = [
    ...'安邦宝彬斌昌超晨成诚达德东栋恩帆飞峰锋刚罡广国海航浩和恒弘宏洪华辉基佳建健杰俊凯康可坤朗乐磊力立良亮林霖',
  ].slice(0, 50);
  const nameOf = (i: number) => `骆${given[Math.floor(i / 50)]}${given[i % 50]}`;
  const PAGE = `query($first: Int, $after: String, $last: Int, $before: String) {
    customers(filter: { query: "骆" }, first: $first, after: $after, last: $last, before: $before) {
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { node { name lastPurchaseAt } }
    }
  }`;

  beforeAll(async () => {
    t = await startTestApp();
    const base = `http://127.0.0.1:${await t.app.listen(0, '127.0.0.1')}`;
    const start = Date.UTC(2026, 0, 1);
    const minute = (i: number) => new Date(start + i * 60_000).toISOString().replace('.000Z', 'Z');
    const rows = Array.from({ length: COUNT }, (_, i) => `${nameOf(i)},199${String(i).padStart(8, '0')},${minute(i)}`);
    const res = await fetch(`${base}/imports/customers.csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${await t.token('OWNER')}` },
      body: `姓名,手机,最近消费\r\n${rows.join('\r\n')}\r\n`,
    });
    const report = (await res.json()) as { created: number; errorCount: number };
    expect(res.status).toBe(200);
    expect(report).toMatchObject({ created: COUNT, errorCount: 0 });
  }, 120_000);
  afterAll(() => t?.close());

  // Latest purchase first: the customer imported last comes first.
  const inOrder = () => Array.from({ length: COUNT }, (_, i) => nameOf(COUNT - 1 - i));
  type NamePage = {
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    edges: { node: { name: string } }[];
  };

  it('lists every one once, latest purchase first, on both sides of the bound', async () => {
    expect(new Set(inOrder()).size).toBe(COUNT);
    const first = (await t.as('OWNER').ok(PAGE, { first: 20 })).customers as NamePage;
    expect(first.edges.map((e) => e.node.name)).toEqual(inOrder().slice(0, 20));
    const seen: string[] = [];
    let after: string | null = null;
    for (let n = 0; n < 30; n++) {
      const p = (await t.as('OWNER').ok(PAGE, { first: 100, after })).customers as NamePage;
      seen.push(...p.edges.map((e) => e.node.name));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(seen).toEqual(inOrder());
    // Backwards from the end: the earliest purchases, walked in the other direction.
    const last = (await t.as('OWNER').ok(PAGE, { last: 30 })).customers as NamePage;
    expect(last.edges.map((e) => e.node.name)).toEqual(inOrder().slice(-30));
    expect(last.pageInfo.hasPreviousPage).toBe(true);
  });
});
