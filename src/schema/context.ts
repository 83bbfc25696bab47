import type { Principal } from '../auth/principal.ts';
import type { StaffRoleKind } from '../generated/prisma/enums.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { SqlRunner } from '../db/migrate.ts';
import type { Db } from '../db/tx.ts';
import type { EventBus } from '../events/bus.ts';
import type { Locale } from '../i18n/locale.ts';
import type { Logger } from '../logger.ts';
import type { CalendarService } from '../calendar/service.ts';
import type { AnyImportKind } from '../imports/kind.ts';
import type { PluginHost } from '../plugin-host/host.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import type { WebhookDispatcher } from '../webhooks/delivery.ts';

/** Long-lived parts of one running API process, shared by every request. */
export interface AppServices {
  db: Db;
  /** Read-only analytics (reports, exports, dashboards): the read replica when configured, else `db`. May lag `db`. */
  analytics: Db;
  /** The same database through its driver, for bulk statements (customer import). */
  sql: SqlRunner;
  logger: Logger;
  events: EventBus;
  tokens: TokenService;
  plugins: PluginHost;
  /** The retail calendar (src/calendar/), also provided to plugins as the service "calendar". */
  calendar: CalendarService;
  /** Every kind of import file, core's and the plugins', in the order a migration imports them. */
  importKinds: AnyImportKind[];
  /** Per-caller request limit and sign-in throttling (src/security/rate-limits.ts). */
  rateLimits: RateLimits;
  /** The largest price reduction per role on a sale line, in % (SALE_DISCOUNT_LIMITS; src/auth/permissions.ts). */
  discountLimits: Record<StaffRoleKind, number>;
  /** Webhook delivery: the outbox, the queue's worker, the address policy (src/webhooks/). */
  webhooks: WebhookDispatcher;
}

/** What every resolver receives. */
export interface Context {
  db: Db;
  auth: Principal;
  locale: Locale;
  requestId: string;
  /** The client's address: the socket's peer, or with trustProxy the last X-Forwarded-For hop ('unknown' in-process). */
  clientAddress: string;
  /** Where the request came from, for the audit log: the connection's peer and X-Forwarded-For as sent. */
  client: { address: string | null; forwardedFor: string | null };
  app: AppServices;
}
