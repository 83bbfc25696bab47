import type { Tx } from '../db/tx.ts';
import type { Unit } from '../events/transaction.ts';
import { NotFoundError } from '../errors/index.ts';
import { audit, type AuditActor } from '../audit/service.ts';
import { followMerges } from '../customers/merges.ts';
import { customerForAudit } from './masking.ts';
import { openBirthday, openEmail, openPhone } from '../customers/personal.ts';

/**
 * A plugin's part in a PIPL request (StorePlugin.customerData): what it holds about customers,
 * for the data export, and, when it holds personal data beyond the customer's id, how to erase it.
 */
export interface CustomerDataHook {
  /**
   * Everything the plugin holds about these customer records (the person's record and those
   * merged into it). For `audience: 'customer'` (the person's own copy, asked for with their
   * storefront token) leave out what is for staff only: internal notes, staff members' names.
   */
  export(tx: Tx, customerIds: string[], audience: ExportAudience): Promise<unknown>;
  /** Inside the erasure's transaction: remove or anonymise the plugin's personal data of these records. */
  erase?(unit: Unit, customerIds: string[]): Promise<void>;
}

/** What an erased customer's name becomes; search and look-ups skip erased customers anyway. */
export const ERASED_NAME = '（已删除）';
export const EXPORT_FORMAT = 'storecrm.customer-data/1';

/** Who a data export is for: the chain's privacy officer, or the customer themselves. */
export type ExportAudience = 'staff' | 'customer';

/**
 * The person behind an id: the live record (following merges) and every record merged into it,
 * at any depth, since those hold the same person's older data.
 */
async function personRecords(tx: Tx, id: string, field: string[]) {
  const live = await followMerges(id, (at) => tx.customer.findUnique({ where: { id: at } }));
  if (!live) throw new NotFoundError('Customer', id, field);
  const ids = [live.id];
  for (let frontier = [live.id]; frontier.length; ) {
    const merged = await tx.customer.findMany({ where: { mergedIntoId: { in: frontier } }, select: { id: true } });
    frontier = merged.map((m) => m.id).filter((m) => !ids.includes(m));
    ids.push(...frontier);
    if (ids.length > 1000) break; // a cycle written by hand; no person has a thousand records
  }
  return { live, ids };
}

/**
 * Everything held about one customer, as one JSON document (PIPL art. 45: a copy of one's
 * personal information): the profile and the records merged into it, identities, consents,
 * membership, interactions, purchases with their lines, payments and refunds, and each
 * plugin's part. Audited as customer.data_export, in the same transaction as the read.
 */
export async function exportCustomerData(
  unit: Unit,
  customerId: string,
  hooks: { plugin: string; hook: CustomerDataHook }[],
  actor: AuditActor,
  audience: ExportAudience = 'staff',
) {
  const { tx } = unit;
  const { live, ids } = await personRecords(tx, customerId, ['customerId']);
  const staff = audience === 'staff';
  const [records, identities, consents, members, interactions, sales, guides] = await Promise.all([
    tx.customer.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: 'asc' } }),
    tx.customerIdentity.findMany({ where: { customerId: { in: ids } }, orderBy: { createdAt: 'asc' } }),
    tx.marketingConsent.findMany({ where: { customerId: { in: ids } } }),
    tx.member.findMany({ where: { customerId: { in: ids } } }),
    tx.interaction.findMany({
      where: { customerId: { in: ids } },
      orderBy: { occurredAt: 'asc' },
      include: { store: { select: { code: true, name: true } } },
    }),
    tx.sale.findMany({
      where: { customerId: { in: ids } },
      orderBy: { occurredAt: 'asc' },
      include: {
        store: { select: { code: true, name: true } },
        lines: { orderBy: { lineNo: 'asc' } },
        payments: true,
        refunds: { include: { lines: true } },
      },
    }),
    tx.guideBinding.findMany({ where: { customerId: { in: ids } }, orderBy: { startedAt: 'asc' } }),
  ]);
  const plugins: Record<string, unknown> = {};
  for (const { plugin, hook } of hooks) plugins[plugin] = await hook.export(tx, ids, audience);
  const profile = (c: (typeof records)[number]) => ({
    id: c.id,
    name: c.name,
    phone: openPhone(c.phoneEnc),
    email: openEmail(c.emailEnc),
    gender: c.gender,
    birthday: openBirthday(c.birthdayEnc)?.toISOString().slice(0, 10) ?? null,
    sourceChannel: c.sourceChannel,
    homeStoreId: c.homeStoreId,
    // The chain's own labels and notes about the person are for staff (docs/storefront.md).
    ...(staff ? { tags: c.tags, notes: c.notes } : {}),
    createdAt: c.createdAt,
    mergedIntoId: c.mergedIntoId,
    erasedAt: c.erasedAt,
    purchases: {
      firstPurchaseAt: c.firstPurchaseAt,
      lastPurchaseAt: c.lastPurchaseAt,
      visitCount: c.visitCount,
      lifetimeSpend: c.lifetimeSpend.toFixed(2),
      importedFromPreviousSystem: {
        firstPurchaseAt: c.importedFirstPurchaseAt,
        lastPurchaseAt: c.importedLastPurchaseAt,
        visitCount: c.importedVisitCount,
        spend: c.importedSpend.toFixed(2),
      },
    },
  });
  const document = {
    format: EXPORT_FORMAT,
    exportedAt: new Date(),
    customerId: live.id,
    customer: profile(records.find((r) => r.id === live.id)!),
    mergedRecords: records.filter((r) => r.id !== live.id).map(profile),
    identities: identities.map((i) => ({ channel: i.channel, externalId: i.externalId, createdAt: i.createdAt })),
    consents: consents.map((c) => ({ channel: c.channel, granted: c.granted, updatedAt: c.updatedAt })),
    memberships: members.map((m) => ({ code: m.code, status: m.status, joinedAt: m.joinedAt })),
    // 专属导购: who looked after the customer, where and when (staff by id; their names are staff data).
    ...(staff && {
      guides: guides.map((g) => ({
        staffId: g.staffId,
        storeId: g.storeId,
        startedAt: g.startedAt,
        endedAt: g.endedAt,
      })),
    }),
    ...(staff && {
      interactions: interactions.map((i) => ({
        kind: i.kind,
        summary: i.summary,
        occurredAt: i.occurredAt,
        store: i.store?.code ?? null,
      })),
    }),
    purchases: sales.map((s) => ({
      saleId: s.id,
      store: s.store.code,
      storeName: s.store.name,
      occurredAt: s.occurredAt,
      currency: s.currency,
      subtotal: s.subtotal.toFixed(2),
      discountTotal: s.discountTotal.toFixed(2),
      total: s.total.toFixed(2),
      refundedTotal: s.refundedTotal.toFixed(2),
      lines: s.lines.map((l) => ({
        lineNo: l.lineNo,
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        unitPrice: l.unitPrice.toFixed(2),
        discount: l.discount.toFixed(2),
        total: l.total.toFixed(2),
      })),
      payments: s.payments.map((p) => ({ method: p.method, amount: p.amount.toFixed(2) })),
      refunds: s.refunds.map((r) => ({ total: r.total.toFixed(2), createdAt: r.createdAt, reason: r.reason })),
    })),
    plugins,
  };
  await audit(tx, actor, {
    operation: 'customer.data_export',
    entityType: 'Customer',
    entityId: live.id,
    details: { records: ids.length, purchases: sales.length, plugins: Object.keys(plugins), audience },
  });
  return document;
}

/**
 * Erases a customer on request (PIPL art. 47): on the live record and every record merged into
 * it, personal fields are cleared (name replaced by ERASED_NAME), identities removed, consents
 * withdrawn, interactions' text removed, the member card cancelled and its code replaced; plugins
 * erase their part. Sales, their lines and payments, stock and the purchase figures stay, tied
 * to the anonymous record, so the books still add up. Irreversible; idempotent: erasing an
 * erased customer changes nothing and records nothing more. Audited as customer.erase.
 */
export async function eraseCustomer(
  unit: Unit,
  customerId: string,
  hooks: { plugin: string; hook: CustomerDataHook }[],
  actor: AuditActor,
  reason: string | null,
) {
  const { tx, emit } = unit;
  const { live, ids } = await personRecords(tx, customerId, ['customerId']);
  // Locks the records, so a sale or an update waits for the erasure, then reads them again.
  await tx.$queryRaw`SELECT id FROM "Customer" WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
  const current = await tx.customer.findUniqueOrThrow({ where: { id: live.id } });
  if (current.erasedAt) return { customerId: live.id, erasedAt: current.erasedAt, alreadyErased: true };
  const before = await tx.customer.findMany({ where: { id: { in: ids } } });
  const now = new Date();
  await tx.customer.updateMany({
    where: { id: { in: ids } },
    data: {
      name: ERASED_NAME,
      phoneEnc: null,
      phoneHash: null,
      phoneLast4Hash: null,
      emailEnc: null,
      emailHash: null,
      birthdayEnc: null,
      gender: 'UNKNOWN',
      tags: [],
      notes: null,
      erasedAt: now,
    },
  });
  await tx.customerIdentity.deleteMany({ where: { customerId: { in: ids } } });
  await tx.marketingConsent.updateMany({
    where: { customerId: { in: ids } },
    data: { granted: false, updatedAt: now },
  });
  await tx.interaction.updateMany({ where: { customerId: { in: ids } }, data: { summary: ERASED_NAME } });
  // No guide looks after an erased customer; the history stays, as the sales do.
  await tx.guideBinding.updateMany({ where: { customerId: { in: ids }, endedAt: null }, data: { endedAt: now } });
  const members = await tx.member.findMany({ where: { customerId: { in: ids } }, select: { id: true } });
  for (const m of members)
    await tx.member.update({ where: { id: m.id }, data: { code: `ERASED-${m.id}`, status: 'CANCELLED' } });
  for (const { hook } of hooks) await hook.erase?.(unit, ids);
  await audit(tx, actor, {
    operation: 'customer.erase',
    entityType: 'Customer',
    entityId: live.id,
    before: before.map((c) => ({ id: c.id, ...customerForAudit(c) })),
    details: {
      reason,
      records: ids.length,
      identitiesRemoved: true,
      consentsWithdrawn: true,
      memberCards: members.length,
      plugins: hooks.filter((h) => h.hook.erase).map((h) => h.plugin),
    },
  });
  emit('customer.updated', { customerId: live.id });
  return { customerId: live.id, erasedAt: now, alreadyErased: false };
}
