import type { EnumRef } from '@pothos/core';
import { actorOfContext } from '../audit/service.ts';
import type { BuilderTypes } from '../contract.ts';
import type { ConsentChannel, Gender, MemberStatus } from '../generated/prisma/enums.ts';
import { AccessError } from '../errors/index.ts';
import { USER_ERRORS } from '../errors/types.ts';
import { runInTransaction } from '../events/transaction.ts';
import { openBirthday, openEmail, openPhone } from '../customers/personal.ts';
import type { Builder } from '../schema/builder.ts';
import type { Context } from '../schema/context.ts';
import {
  CUSTOMER_TOKEN_DEFAULT_MINUTES,
  CUSTOMER_TOKEN_MAX_MINUTES,
  issueCustomerToken,
  joinMembership,
  setMyConsents,
  updateMyProfile,
  VOUCHED_CHANNELS,
} from './service.ts';
import { registerPersistedOperations } from './persisted-operations.ts';

/**
 * The storefront's GraphQL: `issueCustomerToken` for a merchant's backend, and for a customer's
 * token `myAccount` and the `…My…` mutations. A customer token grants no staff permission, so
 * every other field refuses it; the types here check on their own that the row is the caller's.
 */

const accountRefs = new WeakMap<object, ReturnType<typeof defineAccount>>();

/** The `CustomerAccount` type, for plugins that add the customer's view of their part (points, tier, coupons). */
export function customerAccountRef(builder: Builder) {
  const ref = accountRefs.get(builder);
  if (!ref) throw new Error('customerAccountRef: the storefront types are added before plugins');
  return ref;
}

/** The customer a request's token stands for; refuses everyone else. */
export function myCustomerId(ctx: Context): string {
  const id = ctx.auth.customerId;
  if (!id) throw new AccessError(ctx.auth.identified ? 'FORBIDDEN' : 'UNAUTHENTICATED');
  return id;
}

/** Enums core's customer types define, shared here rather than defined twice. */
export interface StorefrontEnums {
  GenderEnum: EnumRef<BuilderTypes, Gender>;
  ConsentChannelEnum: EnumRef<BuilderTypes, ConsentChannel>;
  MemberStatusEnum: EnumRef<BuilderTypes, MemberStatus>;
}

function defineAccount(builder: Builder, { GenderEnum, MemberStatusEnum }: StorefrontEnums) {
  const MemberCard = builder.simpleObject('MemberCard', {
    description: "The customer's membership card.",
    fields: (t) => ({
      code: t.string({ description: 'Card number.' }),
      status: t.field({ type: MemberStatusEnum }),
      joinedAt: t.field({ type: 'DateTime' }),
      qrPayload: t.string({
        description: 'What the member code QR shows: the till scans it into recordSale as memberCode. Static.',
      }),
    }),
  });

  const PurchaseLine = builder.prismaObject('SaleLine', {
    variant: 'PurchaseLine',
    description: 'One line of a purchase, as the receipt shows it.',
    fields: (t) => ({
      lineNo: t.exposeInt('lineNo'),
      sku: t.exposeString('sku'),
      name: t.exposeString('name'),
      quantity: t.exposeInt('quantity'),
      unitPrice: t.expose('unitPrice', { type: 'Money' }),
      total: t.expose('total', { type: 'Money', description: 'After line discounts.' }),
      refundedQuantity: t.exposeInt('refundedQuantity'),
    }),
  });

  const PurchaseOffer = builder.simpleObject('PurchaseOffer', {
    description: 'A discount the purchase received (member price, a campaign…), as the receipt names it.',
    fields: (t) => ({ label: t.string(), amount: t.field({ type: 'Money' }) }),
  });

  const Purchase = builder.prismaObject('Sale', {
    variant: 'Purchase',
    description: "One of the customer's own purchases.",
    select: { customerId: true },
    authScopes: (sale) => ({ customerSelf: sale.customerId ?? '' }),
    fields: (t) => ({
      receiptNo: t.exposeString('externalId', { description: "The till's receipt number." }),
      storeName: t.string({
        select: { store: { select: { name: true } } },
        resolve: (s) => s.store.name,
      }),
      occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
      subtotal: t.expose('subtotal', { type: 'Money' }),
      discountTotal: t.expose('discountTotal', { type: 'Money' }),
      total: t.expose('total', { type: 'Money' }),
      refundedTotal: t.expose('refundedTotal', { type: 'Money' }),
      lines: t.relation('lines', { type: PurchaseLine, query: { orderBy: { lineNo: 'asc' } } }),
      offers: t.field({
        type: [PurchaseOffer],
        select: { adjustments: { orderBy: { position: 'asc' } } },
        resolve: (s, _a, ctx) =>
          s.adjustments
            .filter((a) => a.source !== 'pos') // a cashier's price override is not an offer
            .map((a) => ({ label: ctx.locale === 'en' ? a.labelEn : a.labelZh, amount: a.amount })),
      }),
    }),
  });

  return builder.prismaObject('Customer', {
    variant: 'CustomerAccount',
    description:
      "A customer's own account, as a storefront shows it to them with their token: no staff notes, tags or " +
      "other customers' data.",
    select: { id: true },
    authScopes: (c) => ({ customerSelf: c.id }),
    fields: (t) => ({
      name: t.exposeString('name'),
      phone: t.string({
        nullable: true,
        select: { phoneEnc: true },
        resolve: (c) => openPhone(c.phoneEnc),
      }),
      email: t.string({
        nullable: true,
        select: { emailEnc: true },
        resolve: (c) => openEmail(c.emailEnc),
      }),
      birthday: t.field({
        type: 'Date',
        nullable: true,
        select: { birthdayEnc: true },
        resolve: (c) => openBirthday(c.birthdayEnc),
      }),
      gender: t.expose('gender', { type: GenderEnum }),
      consents: t.relation('consents'),
      memberCard: t.field({
        type: MemberCard,
        nullable: true,
        description: 'Null until the customer joins (joinMembership).',
        select: { member: true },
        resolve: (c) =>
          c.member && {
            code: c.member.code,
            status: c.member.status,
            joinedAt: c.member.joinedAt,
            qrPayload: c.member.code,
          },
      }),
      purchases: t.relatedConnection('sales', {
        type: Purchase,
        cursor: 'id',
        description: 'Newest first.',
        query: { orderBy: { occurredAt: 'desc' } },
        maxSize: 50,
        defaultSize: 20,
      }),
    }),
  });
}

export function addStorefrontTypes(builder: Builder, enums: StorefrontEnums) {
  const { GenderEnum, ConsentChannelEnum } = enums;
  const Account = defineAccount(builder, enums);
  accountRefs.set(builder, Account);

  const IdentityChannel = builder.enumType('VouchedChannel', {
    description: "A channel whose id the merchant's backend obtained itself (WeChat openid or unionid…).",
    values: VOUCHED_CHANNELS,
  });
  const Identity = builder.inputType('VouchedIdentityInput', {
    fields: (t) => ({
      channel: t.field({ type: IdentityChannel, required: true }),
      externalId: t.string({ required: true }),
    }),
  });
  const Enrol = builder.inputType('StorefrontEnrolInput', {
    description: 'Create the customer and enrol them as a member when the phone is new.',
    fields: (t) => ({
      name: t.string({ required: true }),
      storeId: t.globalID({ description: "The store they join at: one of the key's stores." }),
    }),
  });
  const TokenInput = builder.inputType('IssueCustomerTokenInput', {
    fields: (t) => ({
      phone: t.string({ description: 'A mainland mobile number your backend verified (an SMS code).' }),
      identity: t.field({ type: Identity, description: 'Or an id your backend obtained (WeChat openid…).' }),
      enrol: t.field({ type: Enrol }),
      ttlMinutes: t.int({
        description:
          `Minutes the token lives: default ${CUSTOMER_TOKEN_DEFAULT_MINUTES}, ` +
          `at most ${CUSTOMER_TOKEN_MAX_MINUTES}.`,
      }),
    }),
  });
  const CustomerToken = builder.simpleObject('CustomerToken', {
    fields: (t) => ({
      token: t.string({ description: 'Send as `Authorization: Bearer …` from the storefront.' }),
      expiresAt: t.field({ type: 'DateTime' }),
      enrolled: t.boolean({ description: 'The customer was created and enrolled by this call.' }),
    }),
  });

  const ProfileInput = builder.inputType('MyProfileInput', {
    fields: (t) => ({
      name: t.string(),
      email: t.string({ description: 'Null removes it.' }),
      gender: t.field({ type: GenderEnum }),
      birthday: t.field({ type: 'Date', description: 'Null removes it.' }),
    }),
  });
  const ConsentInput = builder.inputType('MyConsentInput', {
    fields: (t) => ({
      channel: t.field({ type: ConsentChannelEnum, required: true }),
      granted: t.boolean({ required: true }),
    }),
  });

  const OperationInput = builder.inputType('PersistedOperationInput', {
    fields: (t) => ({
      id: t.string({ description: 'The sha256 (hex) codegen gave it; checked against the document when given.' }),
      document: t.string({ required: true }),
    }),
  });
  const PersistedOperation = builder.simpleObject('PersistedOperation', {
    fields: (t) => ({
      documentId: t.string({ description: 'Send it as `documentId` (or extensions.persistedQuery.sha256Hash).' }),
      name: t.string({ nullable: true }),
    }),
  });
  builder.queryFields((t) => ({
    persistedOperations: t.field({
      type: [PersistedOperation],
      description: 'The registered operations, newest first (at most 500).',
      authScopes: { permission: 'operation:register' },
      resolve: async (_root, _args, ctx) =>
        (
          await ctx.db.persistedOperation.findMany({
            orderBy: { createdAt: 'desc' },
            take: 500,
            select: { id: true, name: true },
          })
        ).map((o) => ({ documentId: o.id, name: o.name })),
    }),
  }));

  const account = (query: object, ctx: Context) =>
    ctx.db.customer.findUniqueOrThrow({ ...query, where: { id: myCustomerId(ctx) } });

  builder.queryFields((t) => ({
    myAccount: t.prismaField({
      type: Account,
      description: 'The account of the customer whose storefront token this is (docs/storefront.md).',
      authScopes: { customer: true },
      resolve: (query, _root, _args, ctx) => account(query, ctx),
    }),
  }));

  builder.mutationFields((t) => ({
    issueCustomerToken: t.field({
      type: CustomerToken,
      description:
        "For a merchant's backend with an integration key (customer:token): a short-lived token for the customer " +
        'it verified. Audited.',
      authScopes: { permission: 'customer:token' },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: TokenInput, required: true }) },
      resolve: async (_root, { input }, ctx) => {
        // An integration's backend, not a person at a screen: staff would be acting as a customer.
        if (ctx.auth.kind !== 'apiKey') throw new AccessError('FORBIDDEN');
        const issued = await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          issueCustomerToken(
            unit,
            ctx.app.tokens,
            {
              phone: input.phone,
              identity: input.identity,
              enrol: input.enrol && { name: input.enrol.name, storeId: input.enrol.storeId?.id ?? null },
              ttlMinutes: input.ttlMinutes,
              keyStoreIds: [...ctx.auth.roles.keys()],
            },
            actorOfContext(ctx),
          ),
        );
        return { token: issued.token, expiresAt: issued.expiresAt, enrolled: issued.enrolled };
      },
    }),
    updateMyProfile: t.prismaField({
      type: Account,
      authScopes: { customer: true },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { input: t.arg({ type: ProfileInput, required: true }) },
      resolve: async (query, _root, { input }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          updateMyProfile(unit, myCustomerId(ctx), input, actorOfContext(ctx)),
        );
        return account(query, ctx);
      },
    }),
    setMyMarketingConsents: t.prismaField({
      type: Account,
      description: 'Grant or withdraw marketing consent per channel; the others stay as they are.',
      authScopes: { customer: true },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { consents: t.arg({ type: [ConsentInput], required: true }) },
      resolve: async (query, _root, { consents }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          setMyConsents(unit, myCustomerId(ctx), consents, actorOfContext(ctx)),
        );
        return account(query, ctx);
      },
    }),
    registerPersistedOperations: t.field({
      type: [PersistedOperation],
      description:
        "Register the operations a storefront sends (codegen's persisted documents); each is checked against the " +
        'schema and stored under the sha256 of its text. Registering one again changes nothing.',
      authScopes: { permission: 'operation:register' },
      errors: { types: [...USER_ERRORS] },
      args: { operations: t.arg({ type: [OperationInput], required: true }) },
      resolve: async (_root, { operations }, ctx, info) =>
        (
          await runInTransaction(ctx.db, ctx.app.events, (unit) =>
            registerPersistedOperations(unit, info.schema, operations, actorOfContext(ctx)),
          )
        ).map((o) => ({ documentId: o.id, name: o.name })),
    }),
    joinMembership: t.prismaField({
      type: Account,
      description: 'The customer joins the membership programme; a card number is generated.',
      authScopes: { customer: true },
      errors: { types: [...USER_ERRORS], directResult: true },
      args: { storeId: t.arg.globalID({ description: 'Where they join; their home store when omitted.' }) },
      resolve: async (query, _root, { storeId }, ctx) => {
        await runInTransaction(ctx.db, ctx.app.events, (unit) =>
          joinMembership(unit, myCustomerId(ctx), storeId?.id ?? null),
        );
        return account(query, ctx);
      },
    }),
  }));
}
