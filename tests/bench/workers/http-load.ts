/**
 * Load worker: drives the API over HTTP with autocannon, a fresh body for every request
 * (unique sale ids, random members, customers or search terms), and counts as errors every
 * response that is not a 200 with the expected result: GraphQL errors and UserError results too.
 */
import autocannon from 'autocannon';
import type { SaleFixtures } from '../fixtures.ts';
import {
  type CampaignPlan,
  campaignTotal,
  CREATE_CUSTOMER,
  CUSTOMER_360,
  CUSTOMER_LIST,
  CUSTOMER_READ,
  SEARCH,
  SaleMaker,
  TYPENAME,
  failureOf,
  newCustomerInput,
  recordSaleBody,
  type GraphqlBody,
  type LoadKind,
} from '../requests.ts';
import { warmUpThenReport, workerConfig, type LoadLength, type RunLength } from './protocol.ts';

export interface HttpLoadConfig extends RunLength {
  url: string;
  kind: LoadKind;
  authorization: string;
  connections: number;
  saleFixtures?: SaleFixtures;
  memberOffset?: number;
  /** recordSale: the SKU every sale includes, per store id (the hot-sku scenario). */
  hotSku?: Record<string, string>;
  /** recordSale: each payment what the till charges once these campaigns applied (record-sale-campaigns). */
  campaignPlan?: CampaignPlan;
  /** recordSale: read the members' tiers again from this database when the run sells to them again (SaleMaker). */
  tiersFrom?: string;
  customerIds?: string[];
  filters?: Record<string, unknown>[];
  /** createCustomer: the first phone number to hand out (requests.ts). */
  phoneStart?: number;
}

export interface HttpLoadResult {
  requests: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  seconds: number;
  /** Successful requests per second. */
  okPerSecond: number;
  /** createCustomer: phone numbers handed out (warm-up included). */
  phonesUsed?: number;
  latency: { mean: number; p50: number; p90: number; p99: number; max: number };
}

const config = workerConfig<HttpLoadConfig>();
const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]!;

let nextBody: () => GraphqlBody;
let phones = 0;
if (config.kind === 'recordSale') {
  const maker = new SaleMaker(config.saleFixtures!, config.memberOffset, config.hotSku ?? null);
  if (config.tiersFrom) maker.readTiersFrom(config.tiersFrom);
  const plan = config.campaignPlan;
  nextBody = () => {
    const sale = maker.make();
    if (plan) sale.totalCents = campaignTotal(sale, plan);
    return recordSaleBody(sale);
  };
} else if (config.kind === 'customer360') {
  nextBody = () => ({ query: CUSTOMER_360, variables: { id: pick(config.customerIds!) } });
} else if (config.kind === 'search') {
  nextBody = () => ({ query: SEARCH, variables: { filter: pick(config.filters!) } });
} else if (config.kind === 'floor') {
  nextBody = () => ({ query: TYPENAME, variables: {} });
} else if (config.kind === 'createCustomer') {
  nextBody = () => ({ query: CREATE_CUSTOMER, variables: { input: newCustomerInput(config.phoneStart! + phones++) } });
} else if (config.kind === 'customerRead') {
  nextBody = () => ({ query: CUSTOMER_READ, variables: { id: pick(config.customerIds!) } });
} else {
  nextBody = () => ({ query: CUSTOMER_LIST, variables: {} });
}

async function run(length: LoadLength) {
  let ok = 0;
  let failed = 0;
  const samples: string[] = [];
  const result = await autocannon({
    url: `${config.url}/graphql`,
    connections: config.connections,
    ...('requests' in length ? { amount: length.requests } : { duration: length.seconds }),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', authorization: config.authorization },
        setupRequest: (req) => ({ ...req, body: JSON.stringify(nextBody()) }),
        onResponse: (status, body) => {
          const failure = status === 200 ? failureOf(config.kind, body) : `HTTP ${status}: ${body.slice(0, 200)}`;
          if (failure === null) ok += 1;
          else {
            failed += 1;
            if (samples.length < 5) samples.push(failure);
          }
        },
      },
    ],
  });
  const errors = failed + result.errors + result.timeouts;
  if (result.errors && samples.length < 5) samples.push(`${result.errors} connection errors`);
  const lat = result.latency;
  return {
    requests: ok + errors,
    ok,
    errors,
    errorSamples: samples,
    seconds: result.duration,
    okPerSecond: ok / result.duration,
    latency: { mean: lat.mean, p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max },
    ...(config.kind === 'createCustomer' ? { phonesUsed: phones } : {}),
  } satisfies HttpLoadResult;
}

await warmUpThenReport(config, run);
