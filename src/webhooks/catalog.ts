import type { EventType } from '../events/domain-events.ts';
import type { StorePlugin } from '../plugin-host/host.ts';

/** One event type an endpoint may ask for. */
export interface WebhookEventType {
  type: EventType;
  /** 'core', or the name of the plugin that emits it. */
  source: string;
  description: { 'zh-CN': string; en: string };
}

/**
 * Core's events that integrators may receive. Cache invalidations (API keys revoked, staff
 * changed) stay inside the API: they say nothing an integration acts on, and some are about
 * credentials. Import events are announced after the import's own transaction, not through
 * `runInTransaction`, so they have no outbox row to deliver from and are not offered.
 */
export const CORE_WEBHOOK_EVENTS: readonly WebhookEventType[] = [
  {
    type: 'sale.recorded',
    source: 'core',
    description: { 'zh-CN': '一笔销售已记录', en: 'A sale was recorded' },
  },
  {
    type: 'sale.refunded',
    source: 'core',
    description: { 'zh-CN': '一笔销售已退款（全部或部分）', en: 'A sale was refunded, wholly or in part' },
  },
  { type: 'customer.created', source: 'core', description: { 'zh-CN': '新建了顾客', en: 'A customer was created' } },
  {
    type: 'customer.updated',
    source: 'core',
    description: { 'zh-CN': '顾客资料已修改', en: "A customer's profile was changed" },
  },
  {
    type: 'customer.merged',
    source: 'core',
    description: { 'zh-CN': '两位顾客已合并', en: 'Two customers were merged into one' },
  },
  {
    type: 'member.enrolled',
    source: 'core',
    description: { 'zh-CN': '顾客已入会', en: 'A customer became a member' },
  },
  {
    type: 'stock.low',
    source: 'core',
    description: { 'zh-CN': '库存低于补货点', en: 'Stock fell below its reorder point' },
  },
  {
    type: 'product.changed',
    source: 'core',
    description: { 'zh-CN': '商品已新建或修改', en: 'A product was created or changed' },
  },
  {
    type: 'store.changed',
    source: 'core',
    description: { 'zh-CN': '门店已新建或修改', en: 'A store was created or changed' },
  },
];

/** What the installed code can deliver: core's events, then each plugin's `webhookEvents`. */
export function webhookEventCatalog(plugins: readonly StorePlugin[]): WebhookEventType[] {
  const catalog = [...CORE_WEBHOOK_EVENTS];
  const seen = new Set(catalog.map((e) => e.type));
  for (const plugin of plugins) {
    for (const [type, description] of Object.entries(plugin.webhookEvents ?? {})) {
      if (seen.has(type as EventType)) continue;
      seen.add(type as EventType);
      catalog.push({ type: type as EventType, source: plugin.name, description: description! });
    }
  }
  return catalog;
}
