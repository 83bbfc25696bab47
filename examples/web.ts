// What the browser examples' tiny servers share: files from a folder, JSON answers, a port.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.graphql': 'text/plain; charset=utf-8',
};

/** Answers GET `path` with the file of that name in `folder` (index.html for "/"); false when there is none. */
export async function serveFile(folder: string, path: string, res: ServerResponse): Promise<boolean> {
  const name = normalize(path === '/' ? '/index.html' : path);
  if (name.includes('..') || !TYPES[extname(name)]) return false;
  try {
    const body = await readFile(join(folder, name));
    res.writeHead(200, { 'content-type': TYPES[extname(name)]!, 'cache-control': 'no-store' }).end(body);
    return true;
  } catch {
    return false;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A small JSON body (at most 4 KB), or null. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 4096) return null;
  }
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : null;
  } catch {
    return null;
  }
}

/** One GraphQL request, with a credential unless it is empty; throws on GraphQL errors. */
export async function graphqlRequest<T>(
  endpoint: string,
  credential: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-language': 'zh-CN' };
  if (credential) headers.authorization = `Bearer ${credential}`;
  const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}
