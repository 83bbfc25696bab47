import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorizeFile, streamWorkbook, type CellInput } from '../imports/workbook.ts';
import { audit, actorOfRequest } from '../audit/service.ts';
import type { AppServices } from '../schema/context.ts';
import { translate } from '../i18n/messages.ts';

const BATCH = 2000;

/**
 * GET /exports/stock.xlsx?store=<code>: a store's stock as a workbook, one row per product it has
 * a level for, by SKU: codes as text, on hand, reorder point, whether it is below it, and the
 * value at cost. Needs stock:read in that store.
 */
export async function serveStockWorkbook(req: IncomingMessage, res: ServerResponse, services: AppServices) {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const code = (params.get('store') ?? '').trim();
  const store = code
    ? await services.db.store.findFirst({ where: { OR: [{ code: code.toUpperCase() }, { code }, { name: code }] } })
    : null;
  const allowed = await authorizeFile(req, res, services, 'stock:read');
  if (!allowed) return;
  const { locale, auth } = allowed;
  if (!store || !auth.can('stock:read', store.id)) {
    res.writeHead(store ? 403 : 404, { 'content-type': 'application/json; charset=utf-8' });
    const error = store ? 'FORBIDDEN' : 'NOT_FOUND';
    res.end(
      JSON.stringify({
        errors: [{ message: translate(error, { entity: 'Store', key: code }, locale), extensions: { code: error } }],
      }),
    );
    return;
  }
  services.logger.info({ principal: auth.id, store: store.code }, 'stock export');
  await audit(services.db, actorOfRequest(auth, req), {
    operation: 'export.stock',
    storeId: store.id,
    details: { format: 'xlsx', store: store.code },
  });
  const zh = locale === 'zh-CN';
  async function* rows(): AsyncGenerator<CellInput[]> {
    let after = '';
    for (;;) {
      const page = await services.analytics.stockLevel.findMany({
        where: { storeId: store!.id, product: { sku: { gt: after } } },
        include: { product: true },
        orderBy: { product: { sku: 'asc' } },
        take: BATCH,
      });
      for (const l of page) {
        const cost = l.product.cost?.toNumber() ?? null;
        yield [
          store!.code,
          l.product.sku,
          l.product.barcode ?? '',
          l.product.name,
          l.product.category,
          l.onHand,
          l.reorderPoint,
          l.onHand <= l.reorderPoint ? (zh ? '是' : 'yes') : '',
          cost,
          cost === null ? null : Math.round(cost * l.onHand * 100) / 100,
        ];
      }
      if (page.length < BATCH) break;
      after = page.at(-1)!.product.sku;
    }
  }
  await streamWorkbook(
    res,
    `${zh ? '库存' : 'stock'}-${store.code}-${new Date().toISOString().slice(0, 10)}.xlsx`,
    zh ? '库存' : 'Stock',
    [
      { header: zh ? '门店' : 'Store', type: 'text' },
      { header: zh ? '商品编码' : 'SKU', type: 'text', width: 16 },
      { header: zh ? '条码' : 'Barcode', type: 'text', width: 16 },
      { header: zh ? '商品名称' : 'Name', type: 'plain', width: 28 },
      { header: zh ? '分类' : 'Category', type: 'plain' },
      { header: zh ? '在库数量' : 'On hand', type: 'int' },
      { header: zh ? '安全库存' : 'Reorder point', type: 'int' },
      { header: zh ? '低于安全库存' : 'Below reorder point', type: 'plain' },
      { header: zh ? '成本价' : 'Unit cost', type: 'money' },
      { header: zh ? '库存金额' : 'Value at cost', type: 'money' },
    ],
    rows(),
  );
}
