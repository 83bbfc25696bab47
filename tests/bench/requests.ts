import { randomBytes } from 'node:crypto';
import { CUSTOMER_TAGS, GIVEN_FEMALE, GIVEN_MALE, SURNAMES } from '../../src/demo/catalog.ts';
import { loadMemberDiscounts, type SaleFixtures } from './fixtures.ts';

/** GraphQL operations the scenarios send, as a POS, a CRM screen and a dashboard would. */
export const RECORD_SALE = `mutation BenchRecordSale($input: RecordSaleInput!) {
  recordSale(input: $input) {
    __typename
    ... on RecordSalePayload { replayed sale { id total discountTotal } }
    ... on UserError { errorCode message }
  }
}`;

export const CUSTOMER_360 = `query BenchCustomer360($id: ID!) {
  customer(id: $id) {
    id name phone gender birthday tags visitCount lifetimeSpend averageOrderValue firstPurchaseAt lastPurchaseAt
    member { code status joinedAt }
    points { balance pending lifetimeEarned }
    tier { since reviewAt tier { code name discountPercent } }
    sales(first: 20) {
      edges { node {
        id occurredAt businessDate total status store { name }
        lines { lineNo sku name quantity unitPrice discount total }
        payments { method amount }
      } }
    }
  }
}`;

export const SEARCH = `query BenchCustomerSearch($filter: CustomerFilter!) {
  customers(first: 20, filter: $filter) { edges { node { id name phone member { code } } } }
}`;

/** The floor: what the server answers with no resolver, no database and no personal data. */
export const TYPENAME = `query BenchFloor { __typename }`;

/** An integrator's plain admin operations (the admin-ops scenarios). */
export const CREATE_CUSTOMER = `mutation BenchCreateCustomer($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    __typename
    ... on Customer { id name phone gender tags createdAt }
    ... on UserError { errorCode message }
  }
}`;

export const CUSTOMER_READ = `query BenchCustomerRead($id: ID!) {
  customer(id: $id) {
    id name phone gender tags visitCount lifetimeSpend lastPurchaseAt
    sales(first: 20) { edges { node { id occurredAt businessDate total status } } }
  }
}`;

export const CUSTOMER_LIST = `query BenchCustomerList {
  customers(first: 20) { totalCount edges { node { id name phone gender visitCount lastPurchaseAt } } }
}`;

export const SALE_RECORDED = `subscription BenchSaleRecorded
  { saleRecorded { id externalId total occurredAt store { name } } }`;

export interface GraphqlBody {
  query: string;
  variables: Record<string, unknown>;
}

export interface PlannedLine {
  lineNo: number;
  sku: string;
  productId: string;
  name: string;
  category: string;
  quantity: number;
  priceCents: number;
  costCents: number | null;
  /** The member discount the tiers plugin gives this line. */
  discountCents: number;
}

export interface PlannedSale {
  store: SaleFixtures['stores'][number];
  member: SaleFixtures['members'][number];
  externalId: string;
  lines: PlannedLine[];
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
}

export const money = (cents: number) => (cents / 100).toFixed(2);

/**
 * Makes sales like a till: a random store, three distinct random SKUs with enough stock there,
 * and the next member of a shuffled list, so a run uses every member at most once until the
 * list wraps (a member's tier, and so their discount, can change after their sale). The total
 * applies the member's tier discount exactly as the tiers plugin does (per line, half up), so
 * the payment always matches.
 */
export class SaleMaker {
  private next: number;
  private readonly offset: number;
  private count = 0;
  private readonly prefix = `BENCH-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  /** With `tiersFrom`: the database the members' tiers are read again from once a run is about to wrap. */
  private tiersFrom: string | null = null;

  constructor(
    private readonly fixtures: SaleFixtures,
    /** Where in the member list to start: workers running together take different slices. */
    memberOffset = Math.floor(Math.random() * fixtures.members.length),
    /** The SKU every sale includes (the hot-sku scenario: a shopping bag, a best seller), per store id. */
    private readonly hotSku: Record<string, string> | null = null,
  ) {
    if (!fixtures.members.length) throw new Error('no active members in the data set');
    if (!fixtures.stores.some((s) => s.skus.length >= 3)) throw new Error('no store has three SKUs with enough stock');
    this.next = memberOffset;
    this.offset = memberOffset;
  }

  /**
   * A run that makes more sales than there are members sells to each again, and a member's first
   * sale may have moved them to a higher tier (a larger discount). With this, each time the run
   * enters a quarter of the list, the tiers of the quarter two ahead are read again if the run sold
   * to it already: after those sales were committed (at least a quarter of the list ago), before
   * its members are sold to again (half a list later). A run through less than a quarter of the
   * list reads nothing.
   */
  readTiersFrom(databaseUrl: string) {
    this.tiersFrom = databaseUrl;
    return this;
  }

  /** Whether this run sold to a member of the quarter (of `size` members) already: it started in it or passed it. */
  private soldTo(quarter: number, size: number, n: number) {
    const start = quarter * size;
    const from = this.offset % n;
    if (from >= start && from < start + size) return true;
    return this.count > (start - from + n) % n;
  }

  private refreshQuarter(quarter: number) {
    const members = this.fixtures.members;
    const size = Math.ceil(members.length / 4);
    const part = members.slice(quarter * size, (quarter + 1) * size);
    if (!part.length || !this.tiersFrom) return;
    void loadMemberDiscounts(
      this.tiersFrom,
      part.map((m) => m.customerId),
    )
      .then((found) => {
        for (const m of part) m.discountHundredths = found.get(m.customerId) ?? m.discountHundredths;
      })
      .catch((e) => console.error(`reading members' tiers again: ${e}`));
  }

  make(): PlannedSale {
    const stores = this.fixtures.stores.filter((s) => s.skus.length >= 3);
    const store = stores[Math.floor(Math.random() * stores.length)]!;
    const n = this.fixtures.members.length;
    const index = this.next++ % n;
    const quarter = Math.ceil(n / 4);
    if (this.tiersFrom && index % quarter === 0) {
      const ahead = (Math.floor(index / quarter) + 2) % 4;
      if (this.soldTo(ahead, quarter, n)) this.refreshQuarter(ahead);
    }
    const member = this.fixtures.members[index]!;
    const picked = new Set<number>();
    const hot = this.hotSku?.[store.id];
    if (hot) picked.add(store.skus.findIndex((s) => s.sku === hot));
    while (picked.size < 3) picked.add(Math.floor(Math.random() * store.skus.length));
    const lines = [...picked].map((i, n) => {
      const sku = store.skus[i]!;
      const quantity = Math.random() < 0.2 ? 2 : 1;
      const due = sku.priceCents * quantity;
      return {
        lineNo: n + 1,
        sku: sku.sku,
        productId: sku.productId,
        name: sku.name,
        category: sku.category,
        quantity,
        priceCents: sku.priceCents,
        costCents: sku.costCents,
        discountCents: Math.floor((due * member.discountHundredths + 5_000) / 10_000),
      };
    });
    const subtotalCents = lines.reduce((s, l) => s + l.priceCents * l.quantity, 0);
    const discountCents = lines.reduce((s, l) => s + l.discountCents, 0);
    this.count += 1;
    return {
      store,
      member,
      externalId: `${this.prefix}-${this.count}`,
      lines,
      subtotalCents,
      discountCents,
      totalCents: subtotalCents - discountCents,
    };
  }
}

/** The categories record-sale-campaigns' two line campaigns name (scenarios/record-sale-campaigns.ts). */
export interface CampaignPlan {
  /** 第二件半价 on this category (priority 30). */
  nthCategory: string;
  /** 95折 line by line on this category (priority 20). */
  linesCategory: string;
}

/** Half up to the fen, of a whole number of fen times a fraction num/den. */
const halfUp = (cents: number, num: number, den: number) => Math.floor((cents * num * 2 + den) / (den * 2));

/**
 * What the till charges once record-sale-campaigns' campaigns applied, worked out as the campaigns
 * plugin does it (docs/plugins/campaigns.md): each line's due after the member discount; 第二件半价
 * on a line of two (half of one unit's due, to the fen, half up); 95折 per line (5 % of its due,
 * half up); the best threshold of 满200减20 / 满500减80 met by what the lines still charge. Order
 * amounts are prorated, which leaves the total as is.
 */
export function campaignTotal(sale: PlannedSale, plan: CampaignPlan): number {
  let total = 0;
  for (const l of sale.lines) {
    let due = l.priceCents * l.quantity - l.discountCents;
    if (l.category === plan.nthCategory && l.quantity >= 2)
      due -= Math.min(due, halfUp(due, Math.floor(l.quantity / 2), l.quantity * 2));
    else if (l.category === plan.linesCategory) due -= Math.min(due, halfUp(due, 5, 100));
    total += due;
  }
  const off = total >= 50_000 ? 8_000 : total >= 20_000 ? 2_000 : 0;
  return total - off;
}

export function recordSaleBody(sale: PlannedSale): GraphqlBody {
  return {
    query: RECORD_SALE,
    variables: {
      input: {
        storeId: sale.store.globalId,
        externalId: sale.externalId,
        memberCode: sale.member.code,
        lines: sale.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        payments: [{ method: 'WECHAT_PAY', amount: money(sale.totalCents) }],
      },
    },
  };
}

/**
 * Phones of the customers createCustomer makes: a prefix no generated, imported or test customer
 * has, then 8 digits handed out in order from a start the harness gives each load run. The
 * harness starts at the clock's milliseconds (mod 10^8) or after the last number it handed out,
 * whichever is later: a run never creates 1,000 customers a second, so a later run — also on a
 * reused database — starts past every number an earlier one used (the clock comes round after
 * 28 hours).
 */
const NEW_PHONE_PREFIX = '193';
const pickOne = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;

/** Where the next load run's phones start (in the harness process). */
let nextPhone = 0;
export function newPhoneStart(): number {
  nextPhone = Math.max(nextPhone, Date.now() % 100_000_000);
  return nextPhone;
}
/** After a run: how many of its numbers it handed out. */
export function phonesUsed(count: number) {
  nextPhone += count;
}

/** A new customer as a back office or an integration creates one: name, phone number `n`, gender, a tag. */
export function newCustomerInput(n: number) {
  const female = Math.random() < 0.6;
  return {
    name: pickOne(SURNAMES) + pickOne(female ? GIVEN_FEMALE : GIVEN_MALE),
    phone: NEW_PHONE_PREFIX + String(n % 100_000_000).padStart(8, '0'),
    gender: female ? 'FEMALE' : 'MALE',
    tags: [pickOne(CUSTOMER_TAGS)],
  };
}

type Json = { data?: Record<string, any> | null; errors?: { message: string }[] };

/** Why a response counts as an error (a GraphQL error or a UserError result), or null when it is a success. */
export type LoadKind =
  | 'recordSale'
  | 'customer360'
  | 'search'
  | 'floor'
  | 'createCustomer'
  | 'customerRead'
  | 'customerList';

export function failureOf(kind: LoadKind, body: string): string | null {
  let json: Json;
  try {
    json = JSON.parse(body) as Json;
  } catch {
    return `not JSON: ${body.slice(0, 120)}`;
  }
  if (json.errors?.length) return json.errors[0]!.message;
  if (kind === 'recordSale') {
    const r = json.data?.recordSale;
    if (r?.__typename !== 'RecordSalePayload') return `${r?.__typename}: ${r?.errorCode} ${r?.message}`;
    if (r.replayed) return 'replayed';
  }
  if (kind === 'customer360' && !json.data?.customer) return 'customer not found';
  if (kind === 'search' && !json.data?.customers) return 'no result';
  if (kind === 'floor' && json.data?.__typename !== 'Query') return 'no __typename';
  if (kind === 'createCustomer') {
    const r = json.data?.createCustomer;
    if (r?.__typename !== 'Customer') return `${r?.__typename}: ${r?.errorCode} ${r?.message}`;
  }
  if (kind === 'customerRead' && !json.data?.customer?.sales) return 'customer not found';
  if (kind === 'customerList' && typeof json.data?.customers?.totalCount !== 'number') return 'no totalCount';
  return null;
}
