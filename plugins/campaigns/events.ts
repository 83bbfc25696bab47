// The campaigns plugin's events, added to core's event map so the bus types them.
declare module '../../src/events/domain-events.ts' {
  interface DomainEvents {
    /** A campaign was created, changed, paused, resumed or ended: the sale step's cached list is dropped. */
    'campaign.changed': { campaignId: string };
  }
}

export {};
