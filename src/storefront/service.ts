import type { AuditActor } from '../audit/service.ts';
import { audit } from '../audit/service.ts';
import type { TokenService } from '../auth/tokens.ts';
import { createCustomer, requireLiveCustomer, updateCustomer } from '../customers/service.ts';
import { followMerges } from '../customers/merges.ts';
import { phoneHashes } from '../customers/personal.ts';
import { requirePhone } from '../customers/phone.ts';
import type { Unit } from '../events/transaction.ts';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../errors/index.ts';
import type { Channel, ConsentChannel, Gender } from '../generated/prisma/enums.ts';
import { enrollMember } from '../members/service.ts';

/**
 * Storefront access: a merchant's backend, holding an integration key, vouches for a customer it
 * has verified (a phone number it sent a code to, a WeChat openid or unionid it obtained) and gets
 * a short-lived token with which a storefront or mini-program reads and changes that customer's
 * own account, and nothing else (docs/storefront.md).
 */

/** How long a customer token lives unless the caller asks for less (or more, up to the maximum). */
export const CUSTOMER_TOKEN_DEFAULT_MINUTES = 30;
export const CUSTOMER_TOKEN_MAX_MINUTES = 24 * 60;
export const CUSTOMER_TOKEN_MIN_MINUTES = 5;

/** The channels whose ids a merchant's backend may vouch for (WeChat openid/unionid, mini-program openid). */
export const VOUCHED_CHANNELS = ['WECHAT', 'MINI_PROGRAM', 'ECOMMERCE', 'WEB'] as const satisfies readonly Channel[];

export interface CustomerTokenInput {
  /** A mainland mobile number the merchant verified. */
  phone?: string | null;
  /** Or an id the customer has in one of the merchant's channels. */
  identity?: { channel: (typeof VOUCHED_CHANNELS)[number]; externalId: string } | null;
  /** Create the customer and enrol them as a member when no one has this phone yet. */
  enrol?: { name: string; storeId?: string | null } | null;
  ttlMinutes?: number | null;
  /** The stores the issuing key belongs to: an enrolment's store must be one of them. */
  keyStoreIds: readonly string[];
}

/**
 * Finds (or, with `enrol`, creates and enrols) the customer the merchant vouches for and issues
 * their token. Audited as customer.token_issued, naming the key.
 */
export async function issueCustomerToken(
  unit: Unit,
  tokens: TokenService,
  input: CustomerTokenInput,
  actor: AuditActor,
) {
  const { tx } = unit;
  if (Boolean(input.phone) === Boolean(input.identity))
    throw new InvalidInputError('STOREFRONT_ONE_IDENTITY', {}, ['input', input.phone ? 'identity' : 'phone']);
  const ttl = input.ttlMinutes ?? CUSTOMER_TOKEN_DEFAULT_MINUTES;
  if (!Number.isInteger(ttl) || ttl < CUSTOMER_TOKEN_MIN_MINUTES || ttl > CUSTOMER_TOKEN_MAX_MINUTES)
    throw new InvalidInputError(
      'STOREFRONT_TOKEN_TTL',
      { min: CUSTOMER_TOKEN_MIN_MINUTES, max: CUSTOMER_TOKEN_MAX_MINUTES },
      ['input', 'ttlMinutes'],
    );

  const phone = input.phone ? requirePhone(input.phone, ['input', 'phone']) : null;
  const externalId = input.identity?.externalId.trim() ?? '';
  if (input.identity && (!externalId || externalId.length > 128))
    throw new InvalidInputError('INVALID_INPUT', { detail: 'externalId: 1–128' }, ['input', 'identity', 'externalId']);

  const startId = phone
    ? (await tx.customer.findFirst({ where: { phoneHash: { in: phoneHashes(phone) } }, select: { id: true } }))?.id
    : (
        await tx.customerIdentity.findUnique({
          where: { channel_externalId: { channel: input.identity!.channel, externalId } },
          select: { customerId: true },
        })
      )?.customerId;
  let customer = startId
    ? await followMerges(startId, (id) =>
        tx.customer.findUnique({ where: { id }, select: { id: true, mergedIntoId: true, erasedAt: true } }),
      )
    : null;
  let enrolled = false;
  if (customer?.erasedAt) throw new InvalidStateError('CUSTOMER_ERASED', {}, ['input']);
  if (!customer) {
    if (!input.enrol)
      throw new NotFoundError(
        'Customer',
        phone ?? externalId,
        ['input', phone ? 'phone' : 'identity'],
        'STOREFRONT_NO_CUSTOMER',
      );
    // A customer is created only from a phone: the one identity a store's till can also find them by.
    if (!phone) throw new InvalidInputError('STOREFRONT_ENROL_NEEDS_PHONE', {}, ['input', 'enrol']);
    const storeId = input.enrol.storeId ?? null;
    if (storeId && !input.keyStoreIds.includes(storeId))
      throw new NotFoundError('Store', storeId, ['input', 'enrol', 'storeId']);
    const created = await createCustomer(
      unit,
      { name: input.enrol.name, phone, sourceChannel: 'WEB', homeStoreId: storeId },
      actor,
    );
    await enrollMember(unit, { customerId: created.id, storeId });
    customer = { id: created.id, mergedIntoId: null, erasedAt: null };
    enrolled = true;
  }
  const { token, expiresAt } = await tokens.issueCustomer(customer.id, ttl * 60);
  await audit(tx, actor, {
    operation: 'customer.token_issued',
    entityType: 'Customer',
    entityId: customer.id,
    details: { by: phone ? 'phone' : input.identity!.channel, ttlMinutes: ttl, enrolled },
  });
  return { token, expiresAt, customerId: customer.id, enrolled };
}

export interface MyProfileInput {
  name?: string | null;
  email?: string | null;
  gender?: Gender | null;
  birthday?: Date | null;
}

/**
 * A customer changes their own profile. Not their phone: it is the identity the merchant
 * verified and the till finds them by; a new number goes through the merchant.
 */
export function updateMyProfile(unit: Unit, customerId: string, input: MyProfileInput, actor: AuditActor) {
  return updateCustomer(
    unit,
    customerId,
    { name: input.name, email: input.email, gender: input.gender, birthday: input.birthday },
    actor,
  );
}

/** A customer grants or withdraws their own marketing consent, per channel (PIPL: revocable at any time). */
export function setMyConsents(
  unit: Unit,
  customerId: string,
  consents: { channel: ConsentChannel; granted: boolean }[],
  actor: AuditActor,
) {
  if (!consents.length) throw new InvalidInputError('INVALID_INPUT', { detail: 'consents' }, ['consents']);
  // One answer per channel (the last given): a list of a thousand repeats is four writes, not a thousand.
  const byChannel = new Map(consents.map((c) => [c.channel, c.granted] as const));
  return updateCustomer(
    unit,
    customerId,
    { consents: [...byChannel].map(([channel, granted]) => ({ channel, granted })) },
    actor,
  );
}

/** A customer who is not a member yet joins (a card number is generated). */
export async function joinMembership(unit: Unit, customerId: string, storeId: string | null) {
  const customer = await requireLiveCustomer(unit.tx, customerId, ['customerId']);
  if (storeId && !(await unit.tx.store.findUnique({ where: { id: storeId }, select: { id: true } })))
    throw new NotFoundError('Store', storeId, ['storeId']);
  return enrollMember(unit, { customerId: customer.id, storeId: storeId ?? customer.homeStoreId });
}
