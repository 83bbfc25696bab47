// The tiers plugin's events, added to core's event map so the bus and subscriptions type it.
declare module '../../src/events/domain-events.ts' {
  interface DomainEvents {
    'tier.changed': {
      customerId: string;
      fromTier: string | null;
      toTier: string;
      reason: 'INITIAL' | 'UPGRADE' | 'DOWNGRADE';
      changedAt: string;
    };
    /** A tier's definition (thresholds, discount, multiplier) was created or changed. */
    'tier.definition.changed': { tierId: string };
  }
}

export {};
