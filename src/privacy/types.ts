import { encodeGlobalID } from '@pothos/plugin-relay';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { audit, actorOfContext } from '../audit/service.ts';
import { requireLiveCustomer } from '../customers/service.ts';
import { openBirthday, openEmail, openPhone } from '../customers/personal.ts';
import type { Builder } from '../schema/builder.ts';
import { eraseCustomer } from './service.ts';

/**
 * Personal data in GraphQL: revealing one customer's contact details (audited), and erasing a
 * customer on request (PIPL). The data export is a file: GET /exports/customer-data/<id>.json.
 */
export function addPrivacyTypes(builder: Builder) {
  const CustomerContact = builder.simpleObject('CustomerContact', {
    description: "One customer's personal fields in full, as revealCustomerContact returns them.",
    fields: (t) => ({
      customerId: t.id({ description: 'Global id, as Customer.id.' }),
      phone: t.string({ nullable: true }),
      email: t.string({ nullable: true }),
      birthday: t.field({ type: 'Date', nullable: true }),
    }),
  });

  const CustomerErasure = builder.simpleObject('CustomerErasure', {
    description: 'What eraseCustomer did.',
    fields: (t) => ({
      customerId: t.id({ description: 'Global id of the erased customer (the record stays, anonymous).' }),
      erasedAt: t.field({ type: 'DateTime' }),
      alreadyErased: t.boolean({ description: 'True when the customer had been erased before: nothing changed now.' }),
    }),
  });

  builder.mutationFields((t) => ({
    revealCustomerContact: t.field({
      type: CustomerContact,
      description:
        "Shows one customer's phone, e-mail and birthday unmasked, for a follow-up call or a delivery. A " +
        'mutation because every reveal is written to the audit log (who, when, from where, why). Needs ' +
        'customer:reveal.',
      authScopes: { permission: 'customer:reveal' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        customerId: t.arg.globalID({ required: true }),
        reason: t.arg.string({ description: 'Why (kept in the audit log), up to 200 characters.' }),
      },
      resolve: async (_root, args, ctx) => {
        // At most 200 characters, like every string input (src/schema/input-limits.ts).
        const reason = args.reason?.trim() || null;
        const customer = await runInTransaction(ctx.db, ctx.app.events, async ({ tx }) => {
          const c = await requireLiveCustomer(tx, args.customerId.id, ['customerId']);
          await audit(tx, actorOfContext(ctx), {
            operation: 'customer.reveal',
            entityType: 'Customer',
            entityId: c.id,
            details: { fields: ['phone', 'email', 'birthday'], reason },
          });
          return c;
        });
        return {
          customerId: encodeGlobalID('Customer', customer.id),
          phone: openPhone(customer.phoneEnc),
          email: openEmail(customer.emailEnc),
          birthday: openBirthday(customer.birthdayEnc),
        };
      },
    }),
    eraseCustomer: t.field({
      type: CustomerErasure,
      description:
        "PIPL erasure on the customer's request: personal fields, identities and interaction notes removed, " +
        'consents withdrawn, the member card cancelled; sales, stock and totals kept, tied to the anonymous ' +
        'record. Irreversible. Sent again, it changes nothing (alreadyErased). Needs the chain-level ' +
        'customer:privacy.',
      authScopes: { permission: 'customer:privacy' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: {
        customerId: t.arg.globalID({ required: true }),
        reason: t.arg.string({ description: 'The request it answers (a ticket number), kept in the audit log.' }),
      },
      resolve: async (_root, args, ctx) => {
        const result = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          eraseCustomer(
            unit,
            args.customerId.id,
            ctx.app.plugins.customerDataHooks,
            actorOfContext(ctx),
            args.reason?.trim() || null,
          ),
        );
        return { ...result, customerId: encodeGlobalID('Customer', result.customerId) };
      },
    }),
  }));
}
