// The points plugin's events, added to core's event map so the bus types them.
declare module '../../src/events/domain-events.ts' {
  interface DomainEvents {
    /** An earning rule was created or changed: every API process re-reads the rules. */
    'points.rule.changed': { ruleId: string };
  }
}

export {};
