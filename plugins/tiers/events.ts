// The tiers plugin's event, added to core's event map so the bus and subscriptions type it.
declare module '../../src/events/types.ts' {
  interface DomainEvents {
    'tier.changed': {
      customerId: string;
      fromTier: string | null;
      toTier: string;
      reason: 'INITIAL' | 'UPGRADE' | 'DOWNGRADE';
      changedAt: string;
    };
  }
}

export {};
