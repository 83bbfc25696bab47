import type { Tx } from '../db/tx.ts';
import type { Unit } from '../events/transaction.ts';
import type { Prisma, Product } from '../generated/prisma/client.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors/index.ts';

export interface ProductInput {
  sku: string;
  barcode?: string | null;
  name: string;
  category: string;
  price: Prisma.Decimal;
  cost?: Prisma.Decimal | null;
}

export async function createProduct({ tx, emit }: Pick<Unit, 'tx' | 'emit'>, input: ProductInput) {
  const sku = input.sku.trim();
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(sku))
    throw new InvalidInputError('INVALID_INPUT', { detail: 'sku' }, ['input', 'sku']);
  if (!input.name.trim()) throw new InvalidInputError('INVALID_INPUT', { detail: 'name' }, ['input', 'name']);
  if (input.price.lt(0)) throw new InvalidInputError('INVALID_INPUT', { detail: 'price < 0' }, ['input', 'price']);
  // SKUs and barcodes share one namespace: a till scans either, so one code must name one product.
  if (await codeTaken(tx, sku))
    throw new ConflictError('DUPLICATE_CODE', { entity: 'Product', code: sku }, ['input', 'sku']);
  const barcode = input.barcode?.trim() || null;
  if (barcode && (barcode === sku || (await codeTaken(tx, barcode)))) {
    throw new ConflictError('DUPLICATE_CODE', { entity: 'Product', code: barcode }, ['input', 'barcode']);
  }
  const product = await tx.product.create({
    data: {
      sku,
      barcode,
      name: input.name.trim(),
      category: input.category.trim(),
      price: input.price,
      cost: input.cost ?? null,
    },
  });
  emit('product.changed', { productId: product.id, sku: product.sku });
  return product;
}

/** Whether another product already answers to `code`, as its SKU or its barcode. */
async function codeTaken(tx: Tx, code: string, exceptId?: string) {
  const other = await tx.product.findFirst({
    where: { OR: [{ sku: code }, { barcode: code }], ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { id: true },
  });
  return other !== null;
}

/**
 * Products by SKU or barcode: from the reference cache, the rest in one query. NotFoundError
 * (UNKNOWN_SKU) names the first unknown code.
 */
export async function productsByCode(
  { tx, cache }: Pick<Unit, 'tx' | 'cache'>,
  codes: { code: string; field: (string | number)[] }[],
) {
  const wanted = [...new Set(codes.map((c) => c.code.trim()))];
  const byCode = await cache
    .region<Product>('products', ['product.changed', 'data.imported'])
    .getMany(wanted, async (missing) => {
      const products = await tx.product.findMany({
        where: { OR: [{ sku: { in: missing } }, { barcode: { in: missing } }] },
      });
      const found = new Map<string, Product>();
      // Barcodes first, SKUs after: should data from before the shared-namespace rule hold a clash, the SKU wins.
      for (const p of products) if (p.barcode && missing.includes(p.barcode)) found.set(p.barcode, p);
      for (const p of products) if (missing.includes(p.sku)) found.set(p.sku, p);
      return found;
    });
  for (const c of codes) {
    if (!byCode.has(c.code.trim())) throw new NotFoundError('Product', c.code, c.field, 'UNKNOWN_SKU');
  }
  return (code: string) => byCode.get(code.trim())!;
}

export interface ProductChanges {
  name?: string | null;
  category?: string | null;
  barcode?: string | null;
  price?: Prisma.Decimal | null;
  cost?: Prisma.Decimal | null;
  active?: boolean | null;
}

/** Changes a product; past sales keep the name and price they were sold at (copied on each line). */
export async function updateProduct({ tx, emit }: Pick<Unit, 'tx' | 'emit'>, sku: string, changes: ProductChanges) {
  const product = await tx.product.findUnique({ where: { sku } });
  if (!product) throw new NotFoundError('Product', sku, ['sku'], 'UNKNOWN_SKU');
  const data: Prisma.ProductUpdateInput = {};
  if (changes.name != null) {
    if (!changes.name.trim()) throw new InvalidInputError('INVALID_INPUT', { detail: 'name' }, ['input', 'name']);
    data.name = changes.name.trim();
  }
  if (changes.category != null) data.category = changes.category.trim();
  if (changes.price != null) {
    if (changes.price.lt(0)) throw new InvalidInputError('INVALID_INPUT', { detail: 'price < 0' }, ['input', 'price']);
    data.price = changes.price;
  }
  if (changes.cost !== undefined) data.cost = changes.cost;
  if (changes.active != null) data.active = changes.active;
  if (changes.barcode !== undefined) {
    const barcode = changes.barcode?.trim() || null;
    if (barcode && (await codeTaken(tx, barcode, product.id))) {
      throw new ConflictError('DUPLICATE_CODE', { entity: 'Product', code: barcode }, ['input', 'barcode']);
    }
    data.barcode = barcode;
  }
  const updated = await tx.product.update({ where: { id: product.id }, data });
  emit('product.changed', { productId: updated.id, sku: updated.sku });
  return updated;
}
