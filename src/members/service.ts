import { randomInt } from 'node:crypto';
import type { Db, Tx } from '../db/tx.ts';
import type { Unit } from '../events/transaction.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors/index.ts';
import { literalContains, requireLiveCustomer } from '../customers/service.ts';
import { normalizePhone } from '../customers/phone.ts';
import { openBirthday, phoneHashes, phoneLast4Hashes } from '../customers/personal.ts';

/** What a member code can be: 4–32 letters, digits or - (enrolment and the customer import check it). */
export const MEMBER_CODE = /^[A-Za-z0-9-]{4,32}$/;

/** Card numbers: "88" and ten random digits, like a printed membership card. */
function newMemberCode() {
  return `88${String(randomInt(0, 10_000_000_000)).padStart(10, '0')}`;
}

export async function enrollMember(
  { tx, emit }: Unit,
  input: { customerId: string; code?: string | null; storeId?: string | null; joinedAt?: Date | null },
) {
  const customer = await requireLiveCustomer(tx, input.customerId, ['input', 'customerId']);
  const existing = await tx.member.findUnique({ where: { customerId: customer.id } });
  if (existing) throw new ConflictError('ALREADY_MEMBER', { code: existing.code }, ['input', 'customerId']);
  let code = input.code?.trim();
  if (code !== undefined && !MEMBER_CODE.test(code)) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'code: 4–32 letters, digits or -' }, ['input', 'code']);
  }
  if (code && (await tx.member.findUnique({ where: { code }, select: { id: true } }))) {
    throw new ConflictError('DUPLICATE_CODE', { entity: 'Member', code }, ['input', 'code']);
  }
  if (!code) {
    do code = newMemberCode();
    while (await tx.member.findUnique({ where: { code }, select: { id: true } }));
  }
  const member = await tx.member.create({
    data: {
      customerId: customer.id,
      code,
      joinedStoreId: input.storeId ?? null,
      joinedAt: input.joinedAt ?? new Date(),
    },
  });
  emit('member.enrolled', { memberId: member.id, customerId: customer.id });
  return member;
}

/** Who a sale is for. */
export interface Buyer {
  customerId: string;
  /** The active card the sale counts on, if any. */
  memberId: string | null;
  birthday: Date | null;
}

/**
 * The buyer of a sale from a member code scanned at the till: the live customer (following
 * merges) and the card the sale counts on — the survivor's when a merge cancelled this one. One
 * statement for the usual case, an active card of a customer never merged.
 */
export async function buyerByMemberCode(tx: Tx, code: string, field: (string | number)[]): Promise<Buyer> {
  const [card] = await tx.$queryRaw<
    { id: string; status: string; customerId: string; mergedIntoId: string | null; birthdayEnc: string | null }[]
  >`
    SELECT m.id::text, m.status::text, c.id::text AS "customerId", c."mergedIntoId"::text AS "mergedIntoId",
      c."birthdayEnc"
    FROM "Member" m JOIN "Customer" c ON c.id = m."customerId" WHERE m.code = ${code.trim()}`;
  if (!card) throw new NotFoundError('Member', code, field);
  if (card.status === 'ACTIVE' && !card.mergedIntoId)
    return { customerId: card.customerId, memberId: card.id, birthday: openBirthday(card.birthdayEnc) };
  const customer = await requireLiveCustomer(tx, card.customerId, field);
  if (card.status === 'ACTIVE' && customer.id === card.customerId)
    return { customerId: customer.id, memberId: card.id, birthday: openBirthday(customer.birthdayEnc) };
  const current = await tx.member.findUnique({ where: { customerId: customer.id } });
  return {
    customerId: customer.id,
    memberId: current?.status === 'ACTIVE' ? current.id : null,
    birthday: openBirthday(customer.birthdayEnc),
  };
}

/** The buyer of a sale named by customer id: the live customer (following merges) and their active card. */
export async function buyerByCustomerId(tx: Tx, id: string, field: (string | number)[]): Promise<Buyer> {
  const customer = await requireLiveCustomer(tx, id, field);
  const member = await tx.member.findUnique({ where: { customerId: customer.id } });
  return {
    customerId: customer.id,
    memberId: member?.status === 'ACTIVE' ? member.id : null,
    birthday: openBirthday(customer.birthdayEnc),
  };
}

/**
 * Checkout look-up: by member code (card or QR), by full phone, or by the phone's last four
 * digits together with (part of) the name. May return several when last-4 + name is ambiguous
 * (at most 10, the most recent buyer first).
 */
export async function lookupMembers(
  db: Db,
  by: { code?: string | null; phone?: string | null; phoneLast4?: string | null; name?: string | null },
) {
  const include = { customer: true } as const;
  if (by.code?.trim()) {
    const m = await db.member.findUnique({ where: { code: by.code.trim() }, include });
    return m ? [m] : [];
  }
  if (by.phone) {
    const phone = normalizePhone(by.phone);
    if (!phone) throw new InvalidInputError('INVALID_PHONE', { phone: by.phone }, ['phone']);
    const m = await db.member.findFirst({ where: { customer: { phoneHash: { in: phoneHashes(phone) } } }, include });
    return m ? [m] : [];
  }
  const last4 = by.phoneLast4?.trim();
  const name = by.name?.trim();
  if (!last4 || !/^\d{4}$/.test(last4) || !name) {
    throw new InvalidInputError('INVALID_INPUT', { detail: 'give code, phone, or phoneLast4 with name' }, [
      'phoneLast4',
    ]);
  }
  // The phoneLast4Hash index narrows this to a handful of rows (about 10 in 100,000 customers); the
  // name is then checked on those, case-insensitively and literally, like the search does.
  // Most recent buyer first: the likelier one to be standing at the till.
  return db.member.findMany({
    where: {
      customer: {
        phoneLast4Hash: { in: phoneLast4Hashes(last4) },
        name: { contains: literalContains(name), mode: 'insensitive' },
        mergedIntoId: null,
        erasedAt: null,
      },
    },
    include,
    orderBy: [{ customer: { lastPurchaseAt: { sort: 'desc', nulls: 'last' } } }, { id: 'desc' }],
    take: 10,
  });
}
