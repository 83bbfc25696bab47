import { createHash } from 'node:crypto';
import { GraphQLError, parse, validate, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { audit, type AuditActor } from '../audit/service.ts';
import type { Db } from '../db/tx.ts';
import type { Unit } from '../events/transaction.ts';
import { InvalidInputError } from '../errors/index.ts';
import { negotiateLocale } from '../i18n/locale.ts';
import { translate } from '../i18n/messages.ts';

/**
 * Persisted operations: an integrator registers the documents its storefront sends (codegen's
 * persisted-documents output: sha256 of each document → the document), the storefront then sends
 * only the id, and a deployment with STOREFRONT_PERSISTED_ONLY=on refuses any other document from
 * a customer token, so a stolen token cannot explore the API with hand-written queries.
 */

/** The most operations one registration may bring, and the longest document. */
export const MAX_OPERATIONS_PER_CALL = 200;
export const MAX_DOCUMENT_LENGTH = 20_000;

export const documentId = (document: string) => createHash('sha256').update(document).digest('hex');

/** Requests whose document came from the registry (by id): the context lets customer tokens through for them. */
export const persistedRequests = new WeakSet<Request>();

/**
 * Checks each document against the schema and stores it under its sha256; a given id must be
 * that hash. Registering a document again changes nothing. Audited.
 */
export async function registerPersistedOperations(
  { tx }: Unit,
  schema: GraphQLSchema,
  operations: { id?: string | null; document: string }[],
  actor: AuditActor,
) {
  if (!operations.length || operations.length > MAX_OPERATIONS_PER_CALL)
    throw new InvalidInputError('INVALID_INPUT', { detail: `1–${MAX_OPERATIONS_PER_CALL} operations` }, ['operations']);
  const rows = operations.map((op, i) => {
    const id = documentId(op.document);
    if (op.id && op.id.toLowerCase() !== id)
      throw new InvalidInputError('PERSISTED_OPERATION_ID_MISMATCH', { id: op.id.slice(0, 80) }, [
        'operations',
        i,
        'id',
      ]);
    let problems: readonly GraphQLError[];
    let name: string | null = null;
    try {
      const ast = parse(op.document, { maxTokens: 5_000 });
      problems = validate(schema, ast);
      const first = ast.definitions.find((d) => d.kind === 'OperationDefinition');
      name = first && 'name' in first ? (first.name?.value ?? null) : null;
    } catch (error) {
      problems = [error as GraphQLError];
    }
    if (problems.length)
      throw new InvalidInputError('PERSISTED_OPERATION_INVALID', { detail: problems[0]!.message.slice(0, 200) }, [
        'operations',
        i,
        'document',
      ]);
    return { id, document: op.document, name, createdById: actor.kind === 'STAFF' ? actor.id : null };
  });
  await tx.persistedOperation.createMany({ data: rows, skipDuplicates: true });
  await audit(tx, actor, {
    operation: 'persisted_operations.register',
    details: { ids: rows.map((r) => r.id) },
  });
  return rows;
}

/**
 * Resolves `documentId` (or Apollo's `extensions.persistedQuery.sha256Hash`) to the registered
 * document before the request is parsed. Unknown ids are refused with PERSISTED_OPERATION_NOT_FOUND.
 */
export function usePersistedOperations(db: Db): Plugin {
  // Registered documents never change (the id is their hash): keep the recent ones.
  const known = new LRUCache<string, string>({ max: 500 });
  return {
    async onParams({ params, request, setParams }) {
      const extensions = params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined;
      const raw = (params as { documentId?: unknown }).documentId ?? extensions?.persistedQuery?.sha256Hash;
      if (raw === undefined || raw === null) return;
      const id = typeof raw === 'string' && /^[0-9a-f]{64}$/i.test(raw) ? raw.toLowerCase() : null;
      let document = id ? known.get(id) : undefined;
      if (id && document === undefined) {
        document = (await db.persistedOperation.findUnique({ where: { id }, select: { document: true } }))?.document;
        if (document !== undefined) known.set(id, document);
      }
      if (document === undefined) {
        const locale = negotiateLocale(request.headers.get('accept-language'));
        throw new GraphQLError(translate('PERSISTED_OPERATION_NOT_FOUND', {}, locale), {
          extensions: { code: 'PERSISTED_OPERATION_NOT_FOUND', http: { status: 400 } },
        });
      }
      persistedRequests.add(request);
      // Yoga refuses parameters it does not know: the id has done its work.
      const { documentId: _id, ...rest } = params as typeof params & { documentId?: unknown };
      setParams({ ...rest, query: document });
    },
  };
}
