import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from './client.ts';
import { lockDataDir, lockHolder } from './data-dir-lock.ts';

/**
 * Backups and restores (`npm run backup` / `npm run restore`, docs/deployment.md).
 *
 * PostgreSQL: pg_dump's custom format, restored with pg_restore into an empty database, in one
 * transaction.
 *
 * Embedded: a gzipped tar of the database folder, taken by the process that has it open — while
 * the server runs, `npm run backup` asks it over a local socket beside the folder (only the
 * folder's owner can connect), so the copy is taken between two statements of the one PGlite
 * connection: every committed sale is in it, a transaction still open is not (PostgreSQL's own
 * recovery leaves it out when the copy is opened). Without a server, the command opens the folder
 * itself. A restore unpacks it into the folder, which must not be open anywhere; what the folder
 * held before is kept beside it.
 */

/** The embedded database as a gzipped tar, written to `file` (atomically: a partial file never has its name). */
export async function dumpEmbedded(pglite: PGlite, file: string): Promise<number> {
  await pglite.exec('CHECKPOINT'); // less WAL for the restore to replay
  const dump = await pglite.dumpDataDir('gzip');
  const bytes = Buffer.from(await dump.arrayBuffer());
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const partial = `${resolve(file)}.partial`;
  writeFileSync(partial, bytes, { mode: 0o600 });
  renameSync(partial, resolve(file));
  return bytes.length;
}

export const controlSocketPath = (folder: string) => `${resolve(folder)}.sock`;

/**
 * In a server on the embedded database: answers `npm run backup` on a Unix socket beside the
 * folder (mode 0600) and records it in the folder's lock file. Returns a function that stops it.
 */
export async function serveEmbeddedBackups(
  database: Database,
  folder: string,
  onError: (error: Error) => void,
): Promise<() => Promise<void>> {
  if (database.backend.kind !== 'pglite' || !database.lock) return async () => {};
  const { pglite } = database.backend;
  const path = controlSocketPath(folder);
  rmSync(path, { force: true }); // left by a server that was killed; the folder lock says it is gone
  const server: Server = createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
      if (!text.includes('\n')) return;
      const request = JSON.parse(text.slice(0, text.indexOf('\n'))) as { op: string; file: string };
      if (request.op !== 'backup') return void socket.end(`${JSON.stringify({ error: 'unknown request' })}\n`);
      dumpEmbedded(pglite, request.file).then(
        (bytes) => socket.end(`${JSON.stringify({ ok: true, bytes })}\n`),
        (error: Error) => {
          onError(error);
          socket.end(`${JSON.stringify({ error: error.message })}\n`);
        },
      );
    });
    socket.on('error', () => {});
  });
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(path, () => ok());
    });
    chmodSync(path, 0o600);
    database.lock.update({ controlSocket: path });
  } catch (error) {
    onError(error as Error); // e.g. a path too long for a socket: backups then need the server stopped
    return async () => {};
  }
  return () => new Promise<void>((done) => server.close(() => done()));
}

/** `npm run backup` on the embedded database: through the running server, or by opening the folder. */
export async function backupEmbedded(folder: string, file: string, open: () => Promise<Database>): Promise<number> {
  const holder = lockHolder(folder);
  if (holder?.controlSocket) return askServer(holder.controlSocket, resolve(file));
  const database = await open(); // refuses (naming the holder) when something else has the folder
  try {
    if (database.backend.kind !== 'pglite') throw new Error('not an embedded database');
    return await dumpEmbedded(database.backend.pglite, file);
  } finally {
    await database.close();
  }
}

function askServer(socketPath: string, file: string): Promise<number> {
  return new Promise((ok, fail) => {
    const socket = createConnection(socketPath);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ op: 'backup', file })}\n`));
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => {
      const answer = JSON.parse(text || '{}') as { ok?: boolean; bytes?: number; error?: string };
      if (answer.ok) ok(answer.bytes ?? 0);
      else fail(new Error(`the server could not take the backup: ${answer.error ?? 'no answer'}`));
    });
    socket.on('error', fail);
  });
}

/**
 * `npm run restore` on the embedded database: the folder must not be open (the lock is taken for
 * the whole restore); what it held is moved aside, not deleted. Returns where the old folder went.
 */
export async function restoreEmbedded(folder: string, file: string): Promise<string | null> {
  const lock = lockDataDir(folder, 'restore');
  try {
    const target = resolve(folder);
    let kept: string | null = null;
    if (existsSync(target) && readdirSync(target).length) {
      kept = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(target, kept);
    }
    mkdirSync(target, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const { readFileSync } = await import('node:fs');
    const pglite = new PGlite(target, { loadDataDir: new Blob([readFileSync(file)]) });
    await pglite.waitReady;
    await pglite.query('SELECT 1'); // opened: recovery has run
    await pglite.close();
    return kept;
  } finally {
    lock.release();
  }
}

/** pg_dump of DATABASE_URL in the custom format. */
export function backupPostgres(url: string, file: string): Promise<void> {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  return run('pg_dump', ['--format=custom', '--no-owner', `--file=${resolve(file)}`, `--dbname=${url}`]);
}

/** pg_restore into DATABASE_URL, which must be empty, in one transaction: all of it or nothing. */
export async function restorePostgres(url: string, file: string, tablesInTarget: number): Promise<void> {
  if (tablesInTarget > 0) {
    throw new Error(
      'the target database is not empty: restore into a new one (createdb, then set DATABASE_URL to it), so ' +
        'nothing is overwritten',
    );
  }
  await run('pg_restore', [
    '--no-owner',
    '--no-privileges',
    '--exit-on-error',
    '--single-transaction',
    `--dbname=${url}`,
    resolve(file),
  ]);
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) =>
      fail(new Error(`${command} could not run (${e.message}): install PostgreSQL's client tools`)),
    );
    child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`${command} failed (${code}): ${err.trim()}`))));
  });
}
