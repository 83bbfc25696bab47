import type { Tx } from '../db/tx.ts';
import { mergeGuideBindings } from '../guides/service.ts';
import { markCustomerDaysDirty } from '../insights/summary.ts';
import type { Unit } from '../events/transaction.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Channel, ConsentChannel, Gender, InteractionKind } from '../generated/prisma/enums.ts';
import { ConflictError, InvalidInputError, InvalidStateError, NotFoundError } from '../errors/index.ts';
import { moveImportedHistory, recomputeCustomerFigures } from './figures.ts';
import { isEmail } from './email.ts';
import { followMerges } from './merges.ts';
import { requirePhone } from './phone.ts';
import { phoneHashes, sealBirthday, sealEmail, sealPhone } from './personal.ts';
import { audit, changedFields, type AuditActor } from '../audit/service.ts';
import { customerForAudit } from '../privacy/masking.ts';

export interface CustomerInput {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  gender?: Gender | null;
  birthday?: Date | null;
  sourceChannel?: Channel | null;
  homeStoreId?: string | null;
  tags?: string[] | null;
  notes?: string | null;
  consents?: { channel: ConsentChannel; granted: boolean }[] | null;
  identities?: { channel: Channel; externalId: string }[] | null;
}

/** The longest name a customer may have (search relies on it too). */
export const NAME_MAX_LENGTH = 60;

/** Checks and normalises the fields present in `input`; absent fields stay absent. */
function cleanFields(input: CustomerInput) {
  const data: Prisma.CustomerUncheckedUpdateInput = {};
  let phoneGiven: { phone: string | null } | undefined;
  if (input.name !== undefined && input.name !== null) {
    const name = input.name.trim();
    if (!name || name.length > NAME_MAX_LENGTH) {
      throw new InvalidInputError('INVALID_INPUT', { detail: `name: 1–${NAME_MAX_LENGTH} characters` }, [
        'input',
        'name',
      ]);
    }
    data.name = name;
  }
  if (input.phone !== undefined) {
    const phone =
      input.phone === null || input.phone.trim() === '' ? null : requirePhone(input.phone, ['input', 'phone']);
    phoneGiven = { phone };
    Object.assign(data, sealPhone(phone));
  }
  if (input.email !== undefined) {
    const email = input.email?.trim().toLowerCase() || null;
    if (email && !isEmail(email)) throw new InvalidInputError('INVALID_INPUT', { detail: 'email' }, ['input', 'email']);
    Object.assign(data, sealEmail(email));
  }
  if (input.gender) data.gender = input.gender;
  if (input.birthday !== undefined) {
    if (input.birthday && input.birthday.getTime() > Date.now()) {
      throw new InvalidInputError('INVALID_INPUT', { detail: 'birthday is in the future' }, ['input', 'birthday']);
    }
    Object.assign(data, sealBirthday(input.birthday));
  }
  if (input.sourceChannel) data.sourceChannel = input.sourceChannel;
  if (input.homeStoreId !== undefined) data.homeStoreId = input.homeStoreId;
  if (input.tags) data.tags = [...new Set(input.tags.map((t) => t.trim()).filter(Boolean))];
  if (input.notes !== undefined) data.notes = input.notes?.trim() || null;
  return { data, phone: phoneGiven?.phone };
}

/**
 * One phone, one customer. The unique index on phoneHash settles races; this names the conflict,
 * and also catches a customer whose hash is still under a previous key while a rotation runs.
 */
async function assertPhoneFree(tx: Tx, phone: string | null | undefined, exceptId?: string) {
  if (!phone) return;
  const other = await tx.customer.findFirst({ where: { phoneHash: { in: phoneHashes(phone) } }, select: { id: true } });
  if (other && other.id !== exceptId) throw new ConflictError('DUPLICATE_PHONE', { phone }, ['input', 'phone']);
}

async function addIdentities(tx: Tx, customerId: string, identities: CustomerInput['identities']) {
  for (const [i, identity] of (identities ?? []).entries()) {
    const externalId = identity.externalId.trim();
    const existing = await tx.customerIdentity.findUnique({
      where: { channel_externalId: { channel: identity.channel, externalId } },
    });
    if (existing && existing.customerId !== customerId) {
      throw new ConflictError('DUPLICATE_IDENTITY', { channel: identity.channel, externalId }, [
        'input',
        'identities',
        i,
      ]);
    }
    if (!existing) await tx.customerIdentity.create({ data: { customerId, channel: identity.channel, externalId } });
  }
}

async function setConsents(tx: Tx, customerId: string, consents: CustomerInput['consents']) {
  for (const c of consents ?? []) {
    await tx.marketingConsent.upsert({
      where: { customerId_channel: { customerId, channel: c.channel } },
      create: { customerId, channel: c.channel, granted: c.granted },
      update: { granted: c.granted, updatedAt: new Date() },
    });
  }
}

export async function createCustomer(
  { tx, emit }: Unit,
  input: CustomerInput & { name: string },
  actor: AuditActor | null = null,
) {
  const { data, phone } = cleanFields(input);
  if (!data.name) throw new InvalidInputError('INVALID_INPUT', { detail: 'name' }, ['input', 'name']);
  await assertPhoneFree(tx, phone);
  const customer = await tx.customer.create({ data: data as Prisma.CustomerUncheckedCreateInput });
  await addIdentities(tx, customer.id, input.identities);
  await setConsents(tx, customer.id, input.consents);
  if (actor)
    await audit(tx, actor, {
      operation: 'customer.create',
      entityType: 'Customer',
      entityId: customer.id,
      after: customerForAudit(customer),
    });
  emit('customer.created', { customerId: customer.id });
  return customer;
}

export async function updateCustomer(
  { tx, emit }: Unit,
  id: string,
  input: CustomerInput,
  actor: AuditActor | null = null,
) {
  const customer = await requireLiveCustomer(tx, id, ['id']);
  const { data, phone } = cleanFields(input);
  await assertPhoneFree(tx, phone, customer.id);
  const updated = await tx.customer.update({ where: { id: customer.id }, data });
  await addIdentities(tx, customer.id, input.identities);
  await setConsents(tx, customer.id, input.consents);
  if (actor) {
    const change = changedFields(customerForAudit(customer), customerForAudit(updated));
    await audit(tx, actor, {
      operation: 'customer.update',
      entityType: 'Customer',
      entityId: customer.id,
      ...change,
      details: {
        ...(input.consents?.length ? { consents: input.consents } : {}),
        ...(input.identities?.length ? { identitiesAdded: input.identities.map((i) => i.channel) } : {}),
      },
    });
  }
  emit('customer.updated', { customerId: customer.id });
  return updated;
}

/**
 * The customer, following merges to the survivor; NotFoundError if there is none, and
 * CUSTOMER_ERASED for one erased on request (kept for the books, used for nothing else).
 */
export async function requireLiveCustomer(tx: Tx, id: string, field: (string | number)[]) {
  const customer = await followMerges(id, (at) => tx.customer.findUnique({ where: { id: at } }));
  if (!customer) throw new NotFoundError('Customer', id, field);
  if (customer.erasedAt) throw new InvalidStateError('CUSTOMER_ERASED', {}, field);
  return customer;
}

export async function addInteraction(
  { tx }: Unit,
  input: {
    customerId: string;
    kind: InteractionKind;
    summary: string;
    occurredAt?: Date | null;
    storeId?: string | null;
    staffId: string | null;
  },
) {
  const customer = await requireLiveCustomer(tx, input.customerId, ['input', 'customerId']);
  const summary = input.summary.trim();
  if (!summary || summary.length > 2000) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'summary: 1–2000 characters' }, ['input', 'summary']);
  }
  return tx.interaction.create({
    data: {
      customerId: customer.id,
      kind: input.kind,
      summary,
      occurredAt: input.occurredAt ?? new Date(),
      storeId: input.storeId ?? null,
      staffId: input.staffId,
    },
  });
}

/**
 * Merges `mergedId` into `survivorId`: sales, interactions, identities, consents and tags move
 * to the survivor; the survivor keeps its own values and takes the other's where it has none.
 * The merged record stays as a tombstone pointing at the survivor, so old ids still resolve.
 */
/** A plugin's part in a merge, inside its transaction: move what it keeps about the merged customer. */
export type CustomerMergeStep = (ids: { survivorId: string; mergedId: string }, unit: Unit) => Promise<void> | void;

export async function mergeCustomers(
  unit: Unit,
  survivorId: string,
  mergedId: string,
  steps: CustomerMergeStep[] = [],
  actor: AuditActor | null = null,
) {
  const { tx, emit } = unit;
  const liveSurvivorId = (await requireLiveCustomer(tx, survivorId, ['survivorId'])).id;
  // Unlike the survivor, the record to merge away must be named directly, not through an old id.
  const named = await tx.customer.findUnique({ where: { id: mergedId }, select: { mergedIntoId: true } });
  if (named?.mergedIntoId) throw new InvalidStateError('CUSTOMER_MERGED', {}, ['mergedId']);
  const liveMergedId = (await requireLiveCustomer(tx, mergedId, ['mergedId'])).id;
  if (liveSurvivorId === liveMergedId) throw new InvalidInputError('MERGE_SAME_CUSTOMER', {}, ['mergedId']);
  // Lock both rows in id order so two merges touching the same customer cannot interleave, then
  // read both again under the lock: while we waited, another merge ("this survivor into a third
  // customer", or "the other one into this survivor") may have merged either away or changed what
  // we combine (tags, e-mail...). Rows read before the lock would put history on a tombstone or
  // drop what that merge had just moved.
  await tx.$queryRaw`SELECT id FROM "Customer" WHERE id IN (${liveSurvivorId}::uuid, ${liveMergedId}::uuid)
    ORDER BY id FOR UPDATE`;
  const [survivor, merged] = await Promise.all([
    tx.customer.findUnique({ where: { id: liveSurvivorId } }),
    tx.customer.findUnique({ where: { id: liveMergedId } }),
  ]);
  if (!survivor) throw new NotFoundError('Customer', survivorId, ['survivorId']);
  if (!merged) throw new NotFoundError('Customer', mergedId, ['mergedId']);
  if (merged.mergedIntoId) throw new InvalidStateError('CUSTOMER_MERGED', {}, ['mergedId']);
  // Merged away meanwhile: the caller decides again (sent once more, the old id names the new survivor).
  if (survivor.mergedIntoId) throw new InvalidStateError('CUSTOMER_MERGED', {}, ['survivorId']);
  // An erased customer's record is kept only for the books: nothing is merged into or out of it.
  if (survivor.erasedAt) throw new InvalidStateError('CUSTOMER_ERASED', {}, ['survivorId']);
  if (merged.erasedAt) throw new InvalidStateError('CUSTOMER_ERASED', {}, ['mergedId']);

  const [survivorMember, mergedMember] = await Promise.all([
    tx.member.findUnique({ where: { customerId: survivor.id } }),
    tx.member.findUnique({ where: { customerId: merged.id } }),
  ]);
  if (mergedMember && !survivorMember) {
    await tx.member.update({ where: { id: mergedMember.id }, data: { customerId: survivor.id } });
  } else if (mergedMember && survivorMember) {
    // One person, one card: the survivor's card stays (merge into the customer whose card you
    // want to keep); the other is cancelled and its sales count for the surviving card.
    await tx.sale.updateMany({ where: { memberId: mergedMember.id }, data: { memberId: survivorMember.id } });
    await tx.member.update({ where: { id: mergedMember.id }, data: { status: 'CANCELLED' } });
  }

  await markCustomerDaysDirty(tx, merged.id);
  await tx.sale.updateMany({ where: { customerId: merged.id }, data: { customerId: survivor.id } });
  await tx.interaction.updateMany({ where: { customerId: merged.id }, data: { customerId: survivor.id } });
  await tx.customerIdentity.updateMany({ where: { customerId: merged.id }, data: { customerId: survivor.id } });
  await mergeGuideBindings(tx, survivor.id, merged.id);
  const survivorConsents = await tx.marketingConsent.findMany({
    where: { customerId: survivor.id },
    select: { channel: true },
  });
  await tx.marketingConsent.updateMany({
    where: { customerId: merged.id, channel: { notIn: survivorConsents.map((c) => c.channel) } },
    data: { customerId: survivor.id },
  });
  await tx.interaction.create({
    data: {
      customerId: survivor.id,
      kind: 'NOTE',
      summary: `合并顾客档案：${merged.name}（${merged.id}）`,
    },
  });

  await tx.customer.update({
    where: { id: merged.id },
    data: { mergedIntoId: survivor.id, phoneEnc: null, phoneHash: null, phoneLast4Hash: null },
  });
  // Encrypted values move as they are: each names its key, and is bound to its field, not its row.
  const phoneFrom = survivor.phoneEnc ? survivor : merged;
  const emailFrom = survivor.emailEnc ? survivor : merged;
  await tx.customer.update({
    where: { id: survivor.id },
    data: {
      phoneEnc: phoneFrom.phoneEnc,
      phoneHash: phoneFrom.phoneHash,
      phoneLast4Hash: phoneFrom.phoneLast4Hash,
      emailEnc: emailFrom.emailEnc,
      emailHash: emailFrom.emailHash,
      gender: survivor.gender === 'UNKNOWN' ? merged.gender : survivor.gender,
      birthdayEnc: survivor.birthdayEnc ?? merged.birthdayEnc,
      homeStoreId: survivor.homeStoreId ?? merged.homeStoreId,
      tags: [...new Set([...survivor.tags, ...merged.tags])],
      notes: [survivor.notes, merged.notes].filter(Boolean).join('\n') || null,
    },
  });
  await moveImportedHistory(tx, merged.id, survivor.id);
  await recomputeCustomerFigures(tx, survivor.id);
  for (const step of steps) await step({ survivorId: survivor.id, mergedId: merged.id }, unit);
  const result = await tx.customer.findUniqueOrThrow({ where: { id: survivor.id } });
  if (actor)
    await audit(tx, actor, {
      operation: 'customer.merge',
      entityType: 'Customer',
      entityId: survivor.id,
      before: { survivor: customerForAudit(survivor), merged: { id: merged.id, ...customerForAudit(merged) } },
      after: customerForAudit(result),
    });
  emit('customer.merged', { survivorId: survivor.id, mergedId: merged.id });
  return result;
}

/**
 * `text` for a Prisma `contains` filter, matched literally. Prisma turns `contains` into LIKE /
 * ILIKE without escaping (prisma/prisma#19506), so a typed "%" or "_" would be a wildcard: "%"
 * would list every customer, and at the counter "last 4 + name" would match any name.
 */
export function literalContains(text: string) {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
