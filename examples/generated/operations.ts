/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type CommissionEntryKind =
  | 'REFUND'
  | 'SALE';

export type ConsentChannel =
  | 'EMAIL'
  | 'PHONE_CALL'
  | 'SMS'
  | 'WECHAT';

export type Gender =
  | 'FEMALE'
  | 'MALE'
  | 'UNKNOWN';

export type InteractionKind =
  | 'CALL'
  | 'COMPLAINT'
  | 'MESSAGE'
  | 'NOTE'
  | 'VISIT';

export type MemberStatus =
  | 'ACTIVE'
  | 'CANCELLED'
  | 'SUSPENDED';

export type PaymentInput = {
  amount: string;
  method: PaymentMethod;
  /** Payment provider transaction id */
  reference?: string | null | undefined;
};

/** A tender: core's, or one an installed plugin declares and settles (POINTS). The `tenders` query labels them. */
export type PaymentMethod =
  /** Alipay (支付宝) */
  | 'ALIPAY'
  /** Card (银行卡) */
  | 'CARD'
  /** Cash (现金) */
  | 'CASH'
  /** Other (其他) */
  | 'OTHER'
  /** Points (积分) */
  | 'POINTS'
  /** WeChat Pay (微信支付) */
  | 'WECHAT_PAY';

export type PointsEntryKind =
  | 'ADJUST'
  | 'EARN'
  | 'EXPIRE'
  | 'OPENING'
  | 'REDEEM'
  | 'REVERSE';

export type RecordSaleInput = {
  /** Coupon codes (券码) presented at the till, at most 5. */
  couponCodes?: Array<string> | null | undefined;
  customerId?: string | null | undefined;
  /** The POS's own sale id. Sending the same id again returns the first result and changes nothing. */
  externalId: string;
  lines: Array<SaleLineInput>;
  memberCode?: string | null | undefined;
  /** Defaults to now. */
  occurredAt?: string | null | undefined;
  /** Must add up to the sale total exactly (previewSale tells the total). */
  payments: Array<PaymentInput>;
  pricedBy?: SalePricing | null | undefined;
  staffId?: string | null | undefined;
  storeId: string;
};

/** The eight RFM value layers (RFM 客户价值分层): recency, frequency and monetary value each high or low against the customer base. */
export type RfmSegment =
  /** 重要保持客户: Bought often and for a lot, but not lately: reach out before they lapse. */
  | 'AT_RISK'
  /** 重要价值客户: Bought recently, often and for a lot: look after them with exclusive benefits. */
  | 'CHAMPIONS'
  /** 一般挽留客户: Not lately, rarely and for little: reach them at low cost. */
  | 'HIBERNATING'
  /** 一般价值客户: Bought recently and often, for less: raise the basket with higher-value products. */
  | 'LOYAL'
  /** 一般保持客户: Used to come often, not lately, spending less: bring them back with an offer. */
  | 'NEED_ATTENTION'
  /** 重要发展客户: Bought recently and for a lot, but rarely: encourage repeat visits. */
  | 'POTENTIAL_LOYALISTS'
  /** 一般发展客户: Bought recently, but rarely and for less: new or occasional, build the habit. */
  | 'PROMISING'
  /** 重要挽留客户: Spent a lot, but rarely and not lately: win them back. */
  | 'WIN_BACK';

export type SaleLineInput = {
  /** Discount on the whole line. */
  discount?: string | null | undefined;
  quantity: number;
  /** SKU or barcode */
  sku: string;
  /** Defaults to the product's list price. */
  unitPrice?: string | null | undefined;
};

/** Who priced a sale: the CRM (its member discounts and campaigns) or the till, whose prices stand. */
export type SalePricing =
  /** The installed plugins' steps give their reductions (the member's tier discount…). */
  | 'CRM'
  /** The till priced it already (its own member prices, a sale replayed afterwards): no step gives a reduction, the till's prices and line discounts are what was paid. Points, stock and tiers as usual. */
  | 'TILL';

export type SaleStatus =
  | 'COMPLETED'
  | 'PARTIALLY_REFUNDED'
  | 'REFUNDED';

/** Stable, machine-readable reason for a UserError. The message is for people; branch on the code. */
export type UserErrorCode =
  | 'ALREADY_MEMBER'
  | 'APPOINTMENT_INVALID'
  | 'APPOINTMENT_NOT_BOOKED'
  | 'APPOINTMENT_OVERLAP'
  | 'AUTOMATION_INVALID'
  | 'AUTOMATION_NEEDS_PLUGIN'
  | 'AUTOMATION_TEMPLATE_VARIABLE'
  | 'CALENDAR_INVALID_DATE'
  | 'CALENDAR_PERIOD_TOO_LONG'
  | 'CAMPAIGN_ACTION_UNAVAILABLE'
  | 'CAMPAIGN_CONDITION_UNAVAILABLE'
  | 'CAMPAIGN_ENDED'
  | 'CAMPAIGN_INVALID'
  | 'CAMPAIGN_INVALID_WINDOW'
  | 'CAMPAIGN_UNKNOWN_CATEGORY'
  | 'CAMPAIGN_UNKNOWN_SKU'
  | 'CAMPAIGN_UNKNOWN_STORE'
  | 'CAMPAIGN_UNKNOWN_TIER'
  | 'COUPON_BATCH_INVALID'
  | 'COUPON_EXPIRED'
  | 'COUPON_NOT_ELIGIBLE'
  | 'COUPON_TOO_MANY'
  | 'COUPON_UNKNOWN'
  | 'COUPON_USED'
  | 'CUSTOMER_ERASED'
  | 'CUSTOMER_MERGED'
  | 'DISCOUNT_LIMIT_EXCEEDED'
  | 'DISCOUNT_TOO_LARGE'
  | 'DUPLICATE_CODE'
  | 'DUPLICATE_IDENTITY'
  | 'DUPLICATE_PHONE'
  | 'EXTERNAL_ID_CONFLICT'
  | 'FOLLOW_UP_INVALID'
  | 'FOLLOW_UP_NOT_OPEN'
  | 'GUIDE_NOT_IN_STORE'
  | 'IMPORT_BAD_QUOTES'
  | 'IMPORT_BARCODE_TAKEN'
  | 'IMPORT_CONFLICT'
  | 'IMPORT_CUSTOMER_ID_CONFLICT'
  | 'IMPORT_DATE_IN_FUTURE'
  | 'IMPORT_DISCOUNT_TOO_LARGE'
  | 'IMPORT_DUPLICATE_COLUMN'
  | 'IMPORT_DUPLICATE_LINE'
  | 'IMPORT_DUPLICATE_MEMBER_CODE'
  | 'IMPORT_DUPLICATE_PHONE'
  | 'IMPORT_DUPLICATE_VALUE'
  | 'IMPORT_EMPTY_FILE'
  | 'IMPORT_EXTRA_CELLS'
  | 'IMPORT_INVALID_AMOUNT'
  | 'IMPORT_INVALID_CHANNEL'
  | 'IMPORT_INVALID_CODE'
  | 'IMPORT_INVALID_CONSENT'
  | 'IMPORT_INVALID_COUNT'
  | 'IMPORT_INVALID_DATE'
  | 'IMPORT_INVALID_EMAIL'
  | 'IMPORT_INVALID_GENDER'
  | 'IMPORT_INVALID_INTEGER'
  | 'IMPORT_INVALID_MEMBER_CODE'
  | 'IMPORT_INVALID_NAME'
  | 'IMPORT_INVALID_PASSWORD'
  | 'IMPORT_INVALID_PAYMENT_METHOD'
  | 'IMPORT_INVALID_QUANTITY'
  | 'IMPORT_INVALID_ROLE'
  | 'IMPORT_INVALID_YES_NO'
  | 'IMPORT_MALFORMED_CSV'
  | 'IMPORT_MALFORMED_XLSX'
  | 'IMPORT_MEMBER_CODE_DIFFERS'
  | 'IMPORT_MEMBER_CODE_TAKEN'
  | 'IMPORT_MEMBER_PHONE_DIFFER'
  | 'IMPORT_MISSING_COLUMN'
  | 'IMPORT_NAME_REQUIRED'
  | 'IMPORT_NOT_A_MEMBER'
  | 'IMPORT_NO_KEY'
  | 'IMPORT_NO_KEY_COLUMN'
  | 'IMPORT_PASSWORD_REQUIRED'
  | 'IMPORT_POINTS_EXPIRED'
  | 'IMPORT_POINTS_OPENING_EXISTS'
  | 'IMPORT_PURCHASE_DATES'
  | 'IMPORT_REQUIRED'
  | 'IMPORT_REQUIRED_FOR_NEW'
  | 'IMPORT_SALE_ALREADY_DIFFERENT'
  | 'IMPORT_SALE_LINES_DISAGREE'
  | 'IMPORT_SALE_TOO_MANY_LINES'
  | 'IMPORT_SAME_CUSTOMER'
  | 'IMPORT_STORE_FORBIDDEN'
  | 'IMPORT_TOO_LARGE'
  | 'IMPORT_TOO_LONG'
  | 'IMPORT_TOO_MANY_COLUMNS'
  | 'IMPORT_TOO_MANY_ROWS'
  | 'IMPORT_UNKNOWN_COLUMN'
  | 'IMPORT_UNKNOWN_CUSTOMER'
  | 'IMPORT_UNKNOWN_ENCODING'
  | 'IMPORT_UNKNOWN_KIND'
  | 'IMPORT_UNKNOWN_MEMBER'
  | 'IMPORT_UNKNOWN_SKU'
  | 'IMPORT_UNKNOWN_STAFF'
  | 'IMPORT_UNKNOWN_STORE'
  | 'IMPORT_UNKNOWN_TIER'
  | 'IMPORT_UNSUPPORTED_MEDIA'
  | 'INPUT_HAS_NUL'
  | 'INPUT_TOO_LONG'
  | 'INPUT_TOO_MANY_ITEMS'
  | 'INSIGHT_PERIOD'
  | 'INSIGHT_RANGE'
  | 'INSIGHT_SEQUENCE_SPAN'
  | 'INSIGHT_TOO_MANY_STORES'
  | 'INSUFFICIENT_POINTS'
  | 'INSUFFICIENT_STOCK'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_CURSOR'
  | 'INVALID_ID'
  | 'INVALID_INPUT'
  | 'INVALID_PHONE'
  | 'INVALID_POINTS_RULE'
  | 'INVALID_TIER'
  | 'MERGE_SAME_CUSTOMER'
  | 'NOT_FOUND'
  | 'PAYMENT_MISMATCH'
  | 'PERIOD_TOO_LONG'
  | 'PERSISTED_OPERATIONS_ONLY'
  | 'PERSISTED_OPERATION_ID_MISMATCH'
  | 'PERSISTED_OPERATION_INVALID'
  | 'PERSISTED_OPERATION_NOT_FOUND'
  | 'POINTS_ADJUST_LIMIT'
  | 'POINTS_AMOUNT_NOT_WHOLE'
  | 'POINTS_NEED_MEMBER'
  | 'POINTS_SHARE_TOO_LARGE'
  | 'PRICE_OVERRIDE_NOT_ALLOWED'
  | 'PRODUCT_INACTIVE'
  | 'REFUND_EXCEEDS_SOLD'
  | 'REFUND_ID_CONFLICT'
  | 'RFM_INVALID_CURSOR'
  | 'SALE_ALREADY_REFUNDED'
  | 'SAME_STORE_TRANSFER'
  | 'SEGMENT_CONDITION_INVALID'
  | 'SEGMENT_CONDITION_UNAVAILABLE'
  | 'SEGMENT_EMPTY'
  | 'SIGN_IN_THROTTLED'
  | 'STOCKTAKE_NOT_OPEN'
  | 'STOREFRONT_ENROL_NEEDS_PHONE'
  | 'STOREFRONT_NO_CUSTOMER'
  | 'STOREFRONT_ONE_IDENTITY'
  | 'STOREFRONT_TOKEN_TTL'
  | 'TENDER_NOT_ACCEPTED'
  | 'TICKET_ASSIGNEE_NOT_IN_STORE'
  | 'TICKET_ATTACHMENT_INVALID'
  | 'TICKET_INVALID'
  | 'TICKET_INVALID_TRANSITION'
  | 'TICKET_REOPEN_WINDOW_PASSED'
  | 'TICKET_SALE_LINE_UNKNOWN'
  | 'TICKET_SALE_NOT_CUSTOMERS'
  | 'TICKET_SURVEY_EXPIRED'
  | 'TICKET_SURVEY_INVALID'
  | 'TICKET_SURVEY_USED'
  | 'UNKNOWN_SKU'
  | 'VALUE_OUT_OF_RANGE'
  | 'WEBHOOK_ENDPOINT_NOT_ACTIVE'
  | 'WEBHOOK_NO_EVENTS'
  | 'WEBHOOK_OVERLAP_OUT_OF_RANGE'
  | 'WEBHOOK_TOO_MANY_ENDPOINTS'
  | 'WEBHOOK_UNKNOWN_EVENT'
  | 'WEBHOOK_URL_REFUSED';

export type Customer360QueryVariables = Exact<{
  phone: string;
}>;


export type Customer360Query = { customer: { id: string, name: string, phone: string | null, gender: Gender, birthday: string | null, tags: Array<string>, visitCount: number, lifetimeSpend: string, averageOrderValue: string, firstPurchaseAt: string | null, lastPurchaseAt: string | null, member: { code: string, status: MemberStatus, joinedAt: string } | null, consents: Array<{ channel: ConsentChannel, granted: boolean }>, interactions: Array<{ kind: InteractionKind, summary: string, occurredAt: string, staff: { name: string } | null }>, sales: { totalCount: number, edges: Array<{ node: { occurredAt: string, total: string, status: SaleStatus, store: { name: string }, lines: Array<{ sku: string, name: string, quantity: number, total: string }> } }> } } | null };

export type GuideMonthQueryVariables = Exact<{
  storeId: string;
  month: string;
  staffId: string;
  from: string;
  to: string;
}>;


export type GuideMonthQuery = { guideRanking: Array<{ rank: number, sales: number, netSales: string, target: string | null, attainmentPercent: number | null, commission: string, staff: { id: string, name: string } }>, commissionStatement: { earned: string, reversed: string, net: string, base: string, sales: number, entries: { edges: Array<{ node: { kind: CommissionEntryKind, saleId: string, ratePercent: number, baseAmount: string, amount: string, businessDate: string } }> } } };

export type MyCustomersQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type MyCustomersQuery = { myCustomers: { totalCount: number, edges: Array<{ node: { id: string, name: string, phone: string | null, lastPurchaseAt: string | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type LiveSalesSubscriptionVariables = Exact<{
  storeIds?: Array<string> | string | null | undefined;
}>;


export type LiveSalesSubscription = { saleRecorded: { id: string, occurredAt: string, businessDate: string, total: string, store: { code: string, name: string, timezone: string }, lines: Array<{ sku: string, quantity: number }> } };

export type MyAccountQueryVariables = Exact<{ [key: string]: never; }>;


export type MyAccountQuery = { myAccount: { name: string, memberCard: { code: string, status: MemberStatus, joinedAt: string, qrPayload: string } | null, points: { balance: number, pending: number, cashValue: string } | null, pointsHistory: { edges: Array<{ node: { kind: PointsEntryKind, points: number, createdAt: string, expiresAt: string | null, why: string | null } }> }, tier: { since: string, tier: { name: string, discountPercent: string }, progress: { spend: string, visits: number, nextTier: { name: string, minSpend: string | null, minVisits: number | null } | null } } | null, purchases: { edges: Array<{ node: { receiptNo: string, storeName: string, occurredAt: string, total: string, refundedTotal: string, lines: Array<{ name: string, quantity: number, total: string }>, offers: Array<{ label: string, amount: string }> } }> } } };

export type RecordSaleMutationVariables = Exact<{
  input: RecordSaleInput;
}>;


export type RecordSaleMutation = { recordSale:
    | { __typename: 'ConflictError', errorCode: UserErrorCode, message: string, field: Array<string> | null }
    | { __typename: 'InsufficientStockError', sku: string, requested: number, available: number, errorCode: UserErrorCode, message: string, field: Array<string> | null }
    | { __typename: 'InvalidInputError', errorCode: UserErrorCode, message: string, field: Array<string> | null }
    | { __typename: 'InvalidStateError', errorCode: UserErrorCode, message: string, field: Array<string> | null }
    | { __typename: 'NotFoundError', errorCode: UserErrorCode, message: string, field: Array<string> | null }
    | { __typename: 'RecordSalePayload', replayed: boolean, sale: { id: string, total: string, discountTotal: string, businessDate: string, member: { code: string } | null } }
   };

export type RfmDashboardQueryVariables = Exact<{
  homeStoreId?: string | null | undefined;
  segment: RfmSegment;
}>;


export type RfmDashboardQuery = { rfmDashboard: { customersScored: number, spend: string, lastRun: { asOf: string, finishedAt: string } | null, segments: Array<{ segment: RfmSegment, name: string, customers: number, customerShare: number, spend: string, spendShare: number, averageOrderValue: string }> }, rfmSegmentCustomers: { totalCount: number, edges: Array<{ node: { id: string, name: string, phone: string | null, rfm: { code: string, recencyDays: number, frequency: number, monetary: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type SalesByDayQueryVariables = Exact<{
  storeId: string;
  from: string;
  to: string;
}>;


export type SalesByDayQuery = { salesByDay: Array<{ date: string, saleCount: number, netSales: string, averageOrderValue: string }> };

export type CreateWinBackSegmentMutationVariables = Exact<{
  name: string;
  homeStoreId: string;
}>;


export type CreateWinBackSegmentMutation = { createSegment:
    | { __typename: 'ConflictError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'InvalidInputError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'InvalidStateError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'NotFoundError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'Segment', id: string, name: string, customerCount: number, csvPath: string }
   };

export type WidenWinBackSegmentMutationVariables = Exact<{
  id: string;
  homeStoreId: string;
}>;


export type WidenWinBackSegmentMutation = { updateSegment:
    | { __typename: 'ConflictError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'InvalidInputError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'InvalidStateError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'NotFoundError', errorCode: UserErrorCode, field: Array<string> | null, message: string }
    | { __typename: 'Segment', id: string, customerCount: number }
   };

export type SegmentCustomersQueryVariables = Exact<{
  id: string;
  after?: string | null | undefined;
}>;


export type SegmentCustomersQuery = { node:
    | { name: string, customerCount: number, conditions: { categoriesBought: Array<string> | null, lastPurchaseNotWithinDays: number | null, spendMin: string | null }, customers: { edges: Array<{ node: { id: string, name: string, phone: string | null, lastPurchaseAt: string | null, lifetimeSpend: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } }
    | Record<PropertyKey, never>
   | null };

export type StoreInsightsQueryVariables = Exact<{
  storeIds?: Array<string> | string | null | undefined;
  from: string;
  to: string;
  sequences: boolean;
}>;


export type StoreInsightsQuery = { insights: { from: string, to: string, kpis: { current: { asOf: string | null, total: { revenue: string, saleCount: number, averageSale: string, unitsPerSale: number, refundRate: number, memberShare: number, repurchaseRate: number, newCustomerRevenue: string, returningCustomerRevenue: string } }, previousPeriod: { total: { revenue: string, averageSale: string } }, samePeriodLastYear: { total: { revenue: string } } }, salesHeatMap: Array<{ weekday: number, hour: number, saleCount: number, revenue: string }>, productRanking: Array<{ sku: string, name: string, units: number, revenue: string, margin: string | null, marginRate: number | null }>, reorderSuggestions: Array<{ storeCode: string, sku: string, name: string, onHand: number, daysOfCover: number | null, suggestedOrderQuantity: number, boughtByTopCustomers: boolean }>, basketPairs: Array<{ support: number, confidenceAToB: number, lift: number, a: { name: string }, b: { name: string } }>, purchaseSequences?: Array<{ customers: number, share: number, bought: { name: string }, thenBought: { name: string } }> } };

export type YearInsightsQueryVariables = Exact<{
  storeIds?: Array<string> | string | null | undefined;
  from: string;
  to: string;
}>;


export type YearInsightsQuery = { insights: { kpis: { current: { asOf: string | null, total: { revenue: string, saleCount: number, averageSale: string, unitsPerSale: number, refundRate: number, memberShare: number } }, samePeriodLastYear: { total: { revenue: string, saleCount: number } } }, months: Array<{ start: string, revenue: string }>, monthsLastYear: Array<{ start: string, revenue: string }>, productRanking: Array<{ asOf: string | null, sku: string, name: string, revenue: string, margin: string | null, marginRate: number | null }> } };


export const Customer360Document = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Customer360"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"phone"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customer"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"phone"},"value":{"kind":"Variable","name":{"kind":"Name","value":"phone"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"phone"}},{"kind":"Field","name":{"kind":"Name","value":"gender"}},{"kind":"Field","name":{"kind":"Name","value":"birthday"}},{"kind":"Field","name":{"kind":"Name","value":"tags"}},{"kind":"Field","name":{"kind":"Name","value":"visitCount"}},{"kind":"Field","name":{"kind":"Name","value":"lifetimeSpend"}},{"kind":"Field","name":{"kind":"Name","value":"averageOrderValue"}},{"kind":"Field","name":{"kind":"Name","value":"firstPurchaseAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastPurchaseAt"}},{"kind":"Field","name":{"kind":"Name","value":"member"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"joinedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"consents"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"channel"}},{"kind":"Field","name":{"kind":"Name","value":"granted"}}]}},{"kind":"Field","name":{"kind":"Name","value":"interactions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"summary"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"staff"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"sales"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"store"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lines"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"total"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<Customer360Query, Customer360QueryVariables>;
export const GuideMonthDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"GuideMonth"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"storeId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"month"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"staffId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"guideRanking"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"storeId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"storeId"}}},{"kind":"Argument","name":{"kind":"Name","value":"month"},"value":{"kind":"Variable","name":{"kind":"Name","value":"month"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rank"}},{"kind":"Field","name":{"kind":"Name","value":"staff"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"sales"}},{"kind":"Field","name":{"kind":"Name","value":"netSales"}},{"kind":"Field","name":{"kind":"Name","value":"target"}},{"kind":"Field","name":{"kind":"Name","value":"attainmentPercent"}},{"kind":"Field","name":{"kind":"Name","value":"commission"}}]}},{"kind":"Field","name":{"kind":"Name","value":"commissionStatement"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"staffId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"staffId"}}},{"kind":"Argument","name":{"kind":"Name","value":"storeId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"storeId"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"earned"}},{"kind":"Field","name":{"kind":"Name","value":"reversed"}},{"kind":"Field","name":{"kind":"Name","value":"net"}},{"kind":"Field","name":{"kind":"Name","value":"base"}},{"kind":"Field","name":{"kind":"Name","value":"sales"}},{"kind":"Field","name":{"kind":"Name","value":"entries"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"saleId"}},{"kind":"Field","name":{"kind":"Name","value":"ratePercent"}},{"kind":"Field","name":{"kind":"Name","value":"baseAmount"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}},{"kind":"Field","name":{"kind":"Name","value":"businessDate"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<GuideMonthQuery, GuideMonthQueryVariables>;
export const MyCustomersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MyCustomers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"myCustomers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"phone"}},{"kind":"Field","name":{"kind":"Name","value":"lastPurchaseAt"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<MyCustomersQuery, MyCustomersQueryVariables>;
export const LiveSalesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"LiveSales"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"storeIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"saleRecorded"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"storeIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"storeIds"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"businessDate"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"store"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"timezone"}}]}},{"kind":"Field","name":{"kind":"Name","value":"lines"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}}]}}]}}]}}]} as unknown as DocumentNode<LiveSalesSubscription, LiveSalesSubscriptionVariables>;
export const MyAccountDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"MyAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"myAccount"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"memberCard"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"joinedAt"}},{"kind":"Field","name":{"kind":"Name","value":"qrPayload"}}]}},{"kind":"Field","name":{"kind":"Name","value":"points"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"balance"}},{"kind":"Field","name":{"kind":"Name","value":"pending"}},{"kind":"Field","name":{"kind":"Name","value":"cashValue"}}]}},{"kind":"Field","name":{"kind":"Name","value":"pointsHistory"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"points"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"why"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"tier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"tier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"discountPercent"}}]}},{"kind":"Field","name":{"kind":"Name","value":"since"}},{"kind":"Field","name":{"kind":"Name","value":"progress"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"spend"}},{"kind":"Field","name":{"kind":"Name","value":"visits"}},{"kind":"Field","name":{"kind":"Name","value":"nextTier"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"minSpend"}},{"kind":"Field","name":{"kind":"Name","value":"minVisits"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"purchases"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"receiptNo"}},{"kind":"Field","name":{"kind":"Name","value":"storeName"}},{"kind":"Field","name":{"kind":"Name","value":"occurredAt"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"refundedTotal"}},{"kind":"Field","name":{"kind":"Name","value":"lines"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"quantity"}},{"kind":"Field","name":{"kind":"Name","value":"total"}}]}},{"kind":"Field","name":{"kind":"Name","value":"offers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"label"}},{"kind":"Field","name":{"kind":"Name","value":"amount"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<MyAccountQuery, MyAccountQueryVariables>;
export const RecordSaleDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RecordSale"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RecordSaleInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recordSale"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"RecordSalePayload"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"replayed"}},{"kind":"Field","name":{"kind":"Name","value":"sale"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"total"}},{"kind":"Field","name":{"kind":"Name","value":"discountTotal"}},{"kind":"Field","name":{"kind":"Name","value":"businessDate"}},{"kind":"Field","name":{"kind":"Name","value":"member"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"InsufficientStockError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"requested"}},{"kind":"Field","name":{"kind":"Name","value":"available"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UserError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"field"}}]}}]}}]}}]} as unknown as DocumentNode<RecordSaleMutation, RecordSaleMutationVariables>;
export const RfmDashboardDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RfmDashboard"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"homeStoreId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"segment"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RfmSegment"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rfmDashboard"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"homeStoreId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"homeStoreId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"customersScored"}},{"kind":"Field","name":{"kind":"Name","value":"spend"}},{"kind":"Field","name":{"kind":"Name","value":"lastRun"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"asOf"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"segments"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"segment"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"customers"}},{"kind":"Field","name":{"kind":"Name","value":"customerShare"}},{"kind":"Field","name":{"kind":"Name","value":"spend"}},{"kind":"Field","name":{"kind":"Name","value":"spendShare"}},{"kind":"Field","name":{"kind":"Name","value":"averageOrderValue"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"rfmSegmentCustomers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"segment"},"value":{"kind":"Variable","name":{"kind":"Name","value":"segment"}}},{"kind":"Argument","name":{"kind":"Name","value":"homeStoreId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"homeStoreId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"20"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"phone"}},{"kind":"Field","name":{"kind":"Name","value":"rfm"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"recencyDays"}},{"kind":"Field","name":{"kind":"Name","value":"frequency"}},{"kind":"Field","name":{"kind":"Name","value":"monetary"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<RfmDashboardQuery, RfmDashboardQueryVariables>;
export const SalesByDayDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SalesByDay"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"storeId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"salesByDay"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"storeId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"storeId"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"date"}},{"kind":"Field","name":{"kind":"Name","value":"saleCount"}},{"kind":"Field","name":{"kind":"Name","value":"netSales"}},{"kind":"Field","name":{"kind":"Name","value":"averageOrderValue"}}]}}]}}]} as unknown as DocumentNode<SalesByDayQuery, SalesByDayQueryVariables>;
export const CreateWinBackSegmentDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateWinBackSegment"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"homeStoreId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createSegment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"description"},"value":{"kind":"StringValue","value":"买过奶粉、90 天没来、同意短信的老客","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"conditions"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"categoriesBought"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"奶粉","block":false}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"lastPurchaseNotWithinDays"},"value":{"kind":"IntValue","value":"90"}},{"kind":"ObjectField","name":{"kind":"Name","value":"spendMin"},"value":{"kind":"StringValue","value":"500.00","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"homeStoreIds"},"value":{"kind":"ListValue","values":[{"kind":"Variable","name":{"kind":"Name","value":"homeStoreId"}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"consentGranted"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"SMS"}]}}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Segment"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"customerCount"}},{"kind":"Field","name":{"kind":"Name","value":"csvPath"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UserError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<CreateWinBackSegmentMutation, CreateWinBackSegmentMutationVariables>;
export const WidenWinBackSegmentDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"WidenWinBackSegment"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"homeStoreId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateSegment"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"ObjectField","name":{"kind":"Name","value":"conditions"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"categoriesBought"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"奶粉","block":false}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"lastPurchaseNotWithinDays"},"value":{"kind":"IntValue","value":"60"}},{"kind":"ObjectField","name":{"kind":"Name","value":"spendMin"},"value":{"kind":"StringValue","value":"500.00","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"homeStoreIds"},"value":{"kind":"ListValue","values":[{"kind":"Variable","name":{"kind":"Name","value":"homeStoreId"}}]}},{"kind":"ObjectField","name":{"kind":"Name","value":"consentGranted"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"SMS"}]}}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Segment"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"customerCount"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UserError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"field"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<WidenWinBackSegmentMutation, WidenWinBackSegmentMutationVariables>;
export const SegmentCustomersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SegmentCustomers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Segment"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"customerCount"}},{"kind":"Field","name":{"kind":"Name","value":"conditions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"categoriesBought"}},{"kind":"Field","name":{"kind":"Name","value":"lastPurchaseNotWithinDays"}},{"kind":"Field","name":{"kind":"Name","value":"spendMin"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"phone"}},{"kind":"Field","name":{"kind":"Name","value":"lastPurchaseAt"}},{"kind":"Field","name":{"kind":"Name","value":"lifetimeSpend"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<SegmentCustomersQuery, SegmentCustomersQueryVariables>;
export const StoreInsightsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"StoreInsights"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"storeIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"sequences"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Boolean"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"insights"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"storeIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"storeIds"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"kpis"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"repurchaseWithinDays"},"value":{"kind":"IntValue","value":"30"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"current"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"asOf"}},{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"saleCount"}},{"kind":"Field","name":{"kind":"Name","value":"averageSale"}},{"kind":"Field","name":{"kind":"Name","value":"unitsPerSale"}},{"kind":"Field","name":{"kind":"Name","value":"refundRate"}},{"kind":"Field","name":{"kind":"Name","value":"memberShare"}},{"kind":"Field","name":{"kind":"Name","value":"repurchaseRate"}},{"kind":"Field","name":{"kind":"Name","value":"newCustomerRevenue"}},{"kind":"Field","name":{"kind":"Name","value":"returningCustomerRevenue"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"previousPeriod"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"averageSale"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"samePeriodLastYear"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revenue"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"salesHeatMap"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"weekday"}},{"kind":"Field","name":{"kind":"Name","value":"hour"}},{"kind":"Field","name":{"kind":"Name","value":"saleCount"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}}]}},{"kind":"Field","name":{"kind":"Name","value":"productRanking"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"by"},"value":{"kind":"EnumValue","value":"REVENUE"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"units"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"margin"}},{"kind":"Field","name":{"kind":"Name","value":"marginRate"}}]}},{"kind":"Field","name":{"kind":"Name","value":"reorderSuggestions"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"5"}},{"kind":"Argument","name":{"kind":"Name","value":"leadTimeDays"},"value":{"kind":"IntValue","value":"7"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"storeCode"}},{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"onHand"}},{"kind":"Field","name":{"kind":"Name","value":"daysOfCover"}},{"kind":"Field","name":{"kind":"Name","value":"suggestedOrderQuantity"}},{"kind":"Field","name":{"kind":"Name","value":"boughtByTopCustomers"}}]}},{"kind":"Field","name":{"kind":"Name","value":"basketPairs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"level"},"value":{"kind":"EnumValue","value":"CATEGORY"}},{"kind":"Argument","name":{"kind":"Name","value":"minSupport"},"value":{"kind":"FloatValue","value":"0.01"}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"EnumValue","value":"LIFT"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"3"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"a"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"b"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"support"}},{"kind":"Field","name":{"kind":"Name","value":"confidenceAToB"}},{"kind":"Field","name":{"kind":"Name","value":"lift"}}]}},{"kind":"Field","name":{"kind":"Name","value":"purchaseSequences"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"level"},"value":{"kind":"EnumValue","value":"CATEGORY"}},{"kind":"Argument","name":{"kind":"Name","value":"withinDays"},"value":{"kind":"IntValue","value":"14"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"3"}}],"directives":[{"kind":"Directive","name":{"kind":"Name","value":"include"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"if"},"value":{"kind":"Variable","name":{"kind":"Name","value":"sequences"}}}]}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"bought"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"thenBought"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customers"}},{"kind":"Field","name":{"kind":"Name","value":"share"}}]}}]}}]}}]} as unknown as DocumentNode<StoreInsightsQuery, StoreInsightsQueryVariables>;
export const YearInsightsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"YearInsights"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"storeIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"insights"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"storeIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"storeIds"}}},{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kpis"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"current"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"asOf"}},{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"saleCount"}},{"kind":"Field","name":{"kind":"Name","value":"averageSale"}},{"kind":"Field","name":{"kind":"Name","value":"unitsPerSale"}},{"kind":"Field","name":{"kind":"Name","value":"refundRate"}},{"kind":"Field","name":{"kind":"Name","value":"memberShare"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"samePeriodLastYear"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"total"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"saleCount"}}]}}]}}]}},{"kind":"Field","alias":{"kind":"Name","value":"months"},"name":{"kind":"Name","value":"salesTrend"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"grain"},"value":{"kind":"EnumValue","value":"MONTH"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}}]}},{"kind":"Field","alias":{"kind":"Name","value":"monthsLastYear"},"name":{"kind":"Name","value":"salesTrend"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"grain"},"value":{"kind":"EnumValue","value":"MONTH"}},{"kind":"Argument","name":{"kind":"Name","value":"period"},"value":{"kind":"EnumValue","value":"SAME_PERIOD_LAST_YEAR"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"start"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}}]}},{"kind":"Field","name":{"kind":"Name","value":"productRanking"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"by"},"value":{"kind":"EnumValue","value":"MARGIN"}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"asOf"}},{"kind":"Field","name":{"kind":"Name","value":"sku"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"revenue"}},{"kind":"Field","name":{"kind":"Name","value":"margin"}},{"kind":"Field","name":{"kind":"Name","value":"marginRate"}}]}}]}}]}}]} as unknown as DocumentNode<YearInsightsQuery, YearInsightsQueryVariables>;