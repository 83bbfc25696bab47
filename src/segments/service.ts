import type { AuditActor } from '../audit/service.ts';
import { audit, changedFields } from '../audit/service.ts';
import type { Db, Tx } from '../db/tx.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors/index.ts';
import { Prisma, type Segment } from '../generated/prisma/client.ts';
import { PluginConfigError } from '../plugin-host/errors.ts';
import {
  conditionsSql,
  PLUGIN_CONDITIONS,
  validateConditions,
  type SegmentConditionKind,
  type SegmentConditions,
  type SegmentConditionsInput,
} from './conditions.ts';

/** The largest page of customer ids one call returns. */
export const MAX_SEGMENT_PAGE = 10_000;

/**
 * Customer segments as a service: core provides it to plugins as "segments" (docs/plugins.md),
 * so a campaigns plugin asks "is this customer in the segment" and "every customer in it"
 * without knowing how conditions are written; a plugin that owns data a condition reads (tiers,
 * RFM) defines that condition here in its setup.
 */
export class SegmentService {
  private readonly kinds = new Map<string, SegmentConditionKind>();

  /** Called by a plugin's setup: it answers `kind.field` from now on. */
  defineCondition(kind: SegmentConditionKind): void {
    if (!(kind.field in PLUGIN_CONDITIONS))
      throw new PluginConfigError(`"${kind.field}" is not a segment condition a plugin can answer.`);
    if (this.kinds.has(kind.field))
      throw new PluginConfigError(`The segment condition "${kind.field}" is defined twice.`);
    this.kinds.set(kind.field, kind);
  }

  get conditionKinds(): ReadonlyMap<string, SegmentConditionKind> {
    return this.kinds;
  }

  /** The SQL condition over customer `c` of a saved segment (as of `now`). */
  where(segment: Pick<Segment, 'conditions'>, now = new Date()): Prisma.Sql {
    return conditionsSql(segment.conditions as SegmentConditions, this.kinds, now);
  }

  /** How many live customers the segment holds now. */
  async count(db: Db | Tx, segmentId: string): Promise<number> {
    const segment = await requireSegment(db, segmentId);
    const [row] = await db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM "Customer" c WHERE ${this.where(segment)}`;
    return row?.n ?? 0;
  }

  /** Whether each customer is in the segment now (a merged-away or erased id never is). */
  async contains(db: Db | Tx, segmentId: string, customerIds: string[]): Promise<Set<string>> {
    if (customerIds.length > MAX_SEGMENT_PAGE) throw new RangeError(`at most ${MAX_SEGMENT_PAGE} customers per call`);
    const segment = await requireSegment(db, segmentId);
    if (!customerIds.length) return new Set();
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT c.id FROM "Customer" c WHERE c.id = ANY (${customerIds}::uuid[]) AND ${this.where(segment)}`;
    return new Set(rows.map((r) => r.id));
  }

  /**
   * One page of the segment's customer ids, newest customer first; pass the last id of a page as
   * `before` for the next. An empty page is the end.
   */
  async customerIds(
    db: Db | Tx,
    segmentId: string,
    page: { before?: string | null; after?: string | null; limit: number },
  ): Promise<string[]> {
    const segment = await requireSegment(db, segmentId);
    return segmentPage(db, this.where(segment), page);
  }

  /** Every customer id of the segment, in batches (a campaign's audience), newest first. */
  async *allCustomerIds(db: Db | Tx, segmentId: string, batch = 1000): AsyncGenerator<string[]> {
    const segment = await requireSegment(db, segmentId);
    const where = this.where(segment);
    let before: string | undefined;
    for (;;) {
      const ids = await segmentPage(db, where, { before, limit: Math.min(batch, MAX_SEGMENT_PAGE) });
      if (ids.length) yield ids;
      if (ids.length < batch) return;
      before = ids.at(-1);
    }
  }
}

/**
 * Ids of matching customers by id, newest first (uuid v7 ids are time-ordered): `before` reads on
 * down, `after` reads up from a cursor (returned in descending order as well).
 */
export async function segmentPage(
  db: Db | Tx,
  where: Prisma.Sql,
  page: { before?: string | null; after?: string | null; limit: number },
): Promise<string[]> {
  const limit = Math.max(1, Math.min(page.limit, MAX_SEGMENT_PAGE + 1));
  if (page.after) {
    const rows = await db.$queryRaw<{ id: string }[]>`
      SELECT c.id FROM "Customer" c WHERE ${where} AND c.id > ${page.after}::uuid ORDER BY c.id ASC LIMIT ${limit}`;
    return rows.map((r) => r.id).reverse();
  }
  const cursor = page.before ? Prisma.sql`AND c.id < ${page.before}::uuid` : Prisma.empty;
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT c.id FROM "Customer" c WHERE ${where} ${cursor} ORDER BY c.id DESC LIMIT ${limit}`;
  return rows.map((r) => r.id);
}

export async function requireSegment(db: Db | Tx, segmentId: string, field: string[] = ['id']) {
  const segment = await db.segment.findUnique({ where: { id: segmentId } });
  if (!segment) throw new NotFoundError('Segment', segmentId, field);
  return segment;
}

export interface CreateSegmentInput {
  name: string;
  description?: string | null;
  conditions: SegmentConditionsInput;
}

export async function createSegment(
  tx: Tx,
  segments: SegmentService,
  actor: AuditActor,
  staffId: string | null,
  input: CreateSegmentInput,
) {
  const name = segmentName(input.name);
  const description = segmentDescription(input.description);
  const conditions = await validateConditions(tx, input.conditions, segments.conditionKinds);
  if (await tx.segment.findUnique({ where: { name }, select: { id: true } }))
    throw new ConflictError('DUPLICATE_CODE', { entity: 'Segment', code: name }, ['input', 'name']);
  try {
    const created = await tx.segment.create({
      data: { name, description, conditions: conditions as unknown as Prisma.InputJsonObject, createdById: staffId },
    });
    await audit(tx, actor, {
      operation: 'segment.create',
      entityType: 'Segment',
      entityId: created.id,
      after: { name, description, conditions },
    });
    return created;
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError('DUPLICATE_CODE', { entity: 'Segment', code: name }, ['input', 'name']);
    throw error;
  }
}

function segmentName(raw: string): string {
  const name = raw.trim();
  if (!name || name.length > 100)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'SEGMENT_DETAIL_NAME' }, ['input', 'name']);
  return name;
}

function segmentDescription(raw: string | null | undefined): string | null {
  const description = raw?.trim() || null;
  if (description && description.length > 500)
    throw new InvalidInputError('INVALID_INPUT', { detail: 'SEGMENT_DETAIL_DESCRIPTION' }, ['input', 'description']);
  return description;
}

export interface UpdateSegmentInput {
  /** Absent: unchanged. */
  name?: string | null;
  /** Absent: unchanged; null or blank: removed. */
  description?: string | null;
  /** Absent: unchanged; given: replaces every condition (checked as when created). */
  conditions?: SegmentConditionsInput | null;
}

/**
 * Renames a segment, or changes its description or conditions, with the checks of
 * createSegment; the row is locked so concurrent edits apply one after the other, and the audit
 * entry holds what it was and what it became.
 */
export async function updateSegment(
  tx: Tx,
  segments: SegmentService,
  actor: AuditActor,
  segmentId: string,
  input: UpdateSegmentInput,
) {
  const locked = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM "Segment" WHERE id = ${segmentId}::uuid FOR UPDATE`;
  if (!locked.length) throw new NotFoundError('Segment', segmentId, ['input', 'id']);
  const segment = await requireSegment(tx, segmentId, ['input', 'id']);
  const name = input.name != null ? segmentName(input.name) : segment.name;
  const description = input.description !== undefined ? segmentDescription(input.description) : segment.description;
  const conditions =
    input.conditions != null
      ? await validateConditions(tx, input.conditions, segments.conditionKinds)
      : (segment.conditions as unknown as SegmentConditions);
  if (name !== segment.name) {
    const other = await tx.segment.findUnique({ where: { name }, select: { id: true } });
    if (other && other.id !== segment.id)
      throw new ConflictError('DUPLICATE_CODE', { entity: 'Segment', code: name }, ['input', 'name']);
  }
  try {
    const updated = await tx.segment.update({
      where: { id: segment.id },
      data: { name, description, conditions: conditions as unknown as Prisma.InputJsonObject },
    });
    await audit(tx, actor, {
      operation: 'segment.update',
      entityType: 'Segment',
      entityId: segment.id,
      ...changedFields(
        { name: segment.name, description: segment.description, conditions: segment.conditions as unknown },
        { name, description, conditions: conditions as unknown },
      ),
    });
    return updated;
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError('DUPLICATE_CODE', { entity: 'Segment', code: name }, ['input', 'name']);
    throw error;
  }
}

export async function deleteSegment(tx: Tx, actor: AuditActor, segmentId: string) {
  const segment = await requireSegment(tx, segmentId);
  await tx.segment.delete({ where: { id: segment.id } });
  await audit(tx, actor, {
    operation: 'segment.delete',
    entityType: 'Segment',
    entityId: segment.id,
    before: { name: segment.name, conditions: segment.conditions },
  });
  return segment;
}
