// The automation plugin's events, added to core's event map so the bus and webhooks type them.
declare module '../../src/events/domain-events.ts' {
  interface DomainEvents {
    /**
     * A message for one customer, for the merchant's own SMS / WeChat / e-mail sender (by webhook).
     * Only the channels the customer consented to are named. Like every event it carries ids, no
     * personal data: the sender reads the address through GraphQL (docs/plugins/automation.md).
     */
    'customer.notification': {
      notificationId: string;
      triggerId: string;
      trigger: string;
      kind: string;
      customerId: string;
      occasion: string;
      channels: string[];
      message: { 'zh-CN': string; en: string };
      /** The coupon the message brings (a code of the trigger's reward batch), if any. */
      coupon: { code: string; title: string; validUntil: string | null } | null;
    };
    /** A trigger was created or changed. */
    'automation.changed': { triggerId: string };
  }
}

export {};
