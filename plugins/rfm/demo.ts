import type { Db } from '../../src/db/tx.ts';
import type { ResolvedRfmOptions } from './options.ts';
import { scoreCustomers } from './service.ts';

/** The demo customers scored once, so the dashboard and Customer.rfm show data right after start. */
export async function seedRfmDemo(db: Db, options: ResolvedRfmOptions) {
  await scoreCustomers(db, new Date(), options);
}
