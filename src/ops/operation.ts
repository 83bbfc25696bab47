import { getOperationAST, type DocumentNode } from 'graphql';

/**
 * The operation a request runs, as metrics, logs and traces name it: its name ('anonymous'
 * without one) and type. The one named by `operationName` when the document holds several.
 */
export function describeOperation(
  document: DocumentNode,
  operationName?: string | null,
): { name: string; type: string } {
  const op = getOperationAST(document, operationName);
  return { name: operationName ?? op?.name?.value ?? 'anonymous', type: op?.operation ?? 'unknown' };
}
