import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';

/**
 * One process per embedded database. PGlite is PostgreSQL in a single process with no shared
 * memory between processes: two processes on one folder each believe they own it, overwrite each
 * other's pages, and acknowledged sales disappear. So the folder is locked before PGlite opens it
 * — by the server, `npm run migrate`, `npm run bootstrap`, `npm run backup` and `npm run restore`
 * alike — with a lock file beside it (`<folder>.lock`) naming the process that holds it.
 *
 * The file is created exclusively (`O_EXCL`); it is removed when the holder closes the database
 * or exits. A holder killed with SIGKILL leaves it behind: it is stale when its process is gone
 * (or is another process that reused the pid: the process start time is recorded too), and the
 * next opener removes it and takes the lock.
 */

export interface LockHolder {
  pid: number;
  host: string;
  /** What holds it: the API server, migrate, backup… */
  purpose: string;
  startedAt: string;
  /** The holder's start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  processStart: string | null;
  /** The server's control socket, when the holder is a server that takes backups for others. */
  controlSocket?: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly folder: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database in ${folder} is already open in process ${holder.pid} (${holder.purpose}, ` +
        `on ${holder.host} since ${holder.startedAt}). Only one process may open an embedded database: ` +
        `stop that process first${holder.purpose === 'server' ? ' (or use `npm run backup`, which asks it)' : ''}. ` +
        `If no such process exists, delete ${lockPath(folder)}.`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  holder: LockHolder;
  /** Records the server's control socket in the lock file, for `npm run backup`. */
  update(fields: Partial<LockHolder>): void;
  release(): void;
}

export const lockPath = (folder: string) => `${resolve(folder)}.lock`;

/** Folders this process holds: a second open in the same process is refused too. */
const held = new Set<string>();

/** Takes the lock on an embedded database folder, or throws DataDirLockedError naming the holder. */
export function lockDataDir(folder: string, purpose: string): DataDirLock {
  const path = lockPath(folder);
  if (held.has(path)) throw new DataDirLockedError(resolve(folder), parse(readText(path) ?? '') ?? ownHolder(purpose));
  mkdirSync(dirname(path), { recursive: true });
  let holder = ownHolder(purpose);
  for (let attempt = 0; ; attempt++) {
    try {
      write(path, holder, 'wx');
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
    }
    const text = readText(path);
    if (text === null) continue; // released meanwhile
    const other = parse(text);
    if (other && isAlive(other)) throw new DataDirLockedError(resolve(folder), other);
    // Stale (its process is gone) or unreadable (a holder killed while writing it): remove it, if it
    // is still the file just read, and try again.
    if (readText(path) === text) {
      try {
        unlinkSync(path);
      } catch {}
    }
  }
  held.add(path);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held.delete(path);
    process.off('exit', release);
    // Only our own lock: never one another process took after ours was judged stale.
    if (parse(readText(path) ?? '')?.pid === process.pid) {
      try {
        unlinkSync(path);
      } catch {}
    }
  };
  process.on('exit', release);
  return {
    get holder() {
      return holder;
    },
    update(fields) {
      holder = { ...holder, ...fields };
      write(path, holder, 'w');
    },
    release,
  };
}

/** The process holding the folder's lock, if one is alive. */
export function lockHolder(folder: string): LockHolder | null {
  const holder = parse(readText(lockPath(folder)) ?? '');
  return holder && isAlive(holder) ? holder : null;
}

function ownHolder(purpose: string): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    purpose,
    startedAt: new Date().toISOString(),
    processStart: processStart(process.pid),
  };
}

function write(path: string, holder: LockHolder, flag: 'wx' | 'w') {
  const fd = openSync(path, flag, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(holder, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parse(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as LockHolder;
    return Number.isInteger(value?.pid) ? value : null;
  } catch {
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  // Another machine's process (a folder on shared storage) cannot be checked from here: assume it runs.
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return false; // left by this process, which no longer holds it (see held)
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(holder.pid);
  return !(holder.processStart && start && start !== holder.processStart);
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), or null off Linux. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
