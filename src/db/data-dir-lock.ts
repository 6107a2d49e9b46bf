import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_DATA_DIR } from '../shared/config.ts';

/**
 * PGlite does not lock its data dir, and two processes writing one directory
 * corrupt it. This lock file (beside the data dir) makes the second process
 * stop with a clear message instead. A lock left by a dead process is taken over.
 */
export interface LockInfo {
  pid: number;
  startedAt: string;
  /** Where the running process serves the database over the Postgres wire, if it does. */
  sqlHost?: string;
  sqlPort?: number;
  /**
   * The file holding the SQL port's password (never the password itself).
   * Absent while a SQL port runs: the password is TOOLPORT_SQL_PASSWORD.
   */
  sqlPasswordFile?: string;
  /** A REST listener of the running process (the gateway's, or its first server's): `toolport export/apply` go through it. */
  apiUrl?: string;
}

export interface DataDirLock {
  path: string;
  update(info: Partial<LockInfo>): void;
  /**
   * List this lock in `runningDir` (default: RUNNING_DIR), so `npm run sql`
   * can find a running server whose data dir it was not told. Removed on release.
   */
  advertise(runningDir?: string): void;
  release(): void;
}

/** Where running embedded servers list their data dirs: `.toolport/running/` in the checkout, beside the default data dir. */
export const RUNNING_DIR = join(dirname(DEFAULT_DATA_DIR), 'running');

export class DataDirLockedError extends Error {
  readonly holder: LockInfo;
  constructor(dataDir: string, holder: LockInfo) {
    const sql = holder.sqlPort ? ` It serves SQL on ${holder.sqlHost ?? '127.0.0.1'}:${holder.sqlPort}: use \`npm run sql\` or psql there.` : '';
    super(
      `The embedded database at ${dataDir} is in use by another Toolport process (pid ${holder.pid}, since ${holder.startedAt}).` +
        ` Stop that process, point TOOLPORT_DATA_DIR at another directory, or set DATABASE_URL to share a Postgres server.` +
        sql,
    );
    this.name = 'DataDirLockedError';
    this.holder = holder;
  }
}

export function lockPathFor(dataDir: string): string {
  return resolve(dataDir) + '.lock';
}

function readLockFile(path: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export function readLock(dataDir: string): LockInfo | undefined {
  return readLockFile(lockPathFor(dataDir));
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Replace a file's content in one step: readers see the old or the new text, never half of it. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

interface RunningEntry {
  pid: number;
  startedAt: string;
  dataDir: string;
  lockFile: string;
}

export interface RunningServer {
  dataDir: string;
  holder: LockInfo;
}

/**
 * The embedded servers listed in `runningDir` that still hold their lock.
 * An entry whose process is gone, or whose lock is gone or now someone
 * else's (kill -9, a reused pid), is stale: it is removed and not returned.
 */
export function listRunning(runningDir: string = RUNNING_DIR): RunningServer[] {
  let names: string[];
  try {
    names = readdirSync(runningDir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const found: RunningServer[] = [];
  for (const name of names) {
    const path = join(runningDir, name);
    let entry: RunningEntry | undefined;
    try {
      entry = JSON.parse(readFileSync(path, 'utf8')) as RunningEntry;
    } catch {
      entry = undefined; // unreadable: treated as stale
    }
    const holder = entry && typeof entry.lockFile === 'string' ? readLockFile(entry.lockFile) : undefined;
    if (entry && holder && holder.pid === entry.pid && holder.startedAt === entry.startedAt && typeof entry.dataDir === 'string') {
      found.push({ dataDir: entry.dataDir, holder });
    } else {
      // An entry is written after its lock and removed before it: one without its lock is stale.
      rmSync(path, { force: true });
    }
  }
  return found.sort((a, b) => a.dataDir.localeCompare(b.dataDir));
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = lockPathFor(dataDir);
  let info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      let listing: string | undefined;
      return {
        path,
        update(patch) {
          info = { ...info, ...patch };
          for (const key of Object.keys(info) as (keyof LockInfo)[]) if (info[key] === undefined) delete info[key];
          writeAtomically(path, JSON.stringify(info));
        },
        advertise(runningDir = RUNNING_DIR) {
          if (released) return;
          mkdirSync(runningDir, { recursive: true });
          // One process may hold several data dirs (tests do): one entry per lock.
          const id = createHash('sha256').update(path).digest('hex').slice(0, 12);
          listing = join(runningDir, `${process.pid}-${id}.json`);
          const entry: RunningEntry = { pid: info.pid, startedAt: info.startedAt, dataDir: resolve(dataDir), lockFile: path };
          writeAtomically(listing, JSON.stringify(entry));
        },
        release() {
          if (released) return;
          released = true;
          if (listing) rmSync(listing, { force: true });
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLock(dataDir);
      if (holder) throw new DataDirLockedError(dataDir, holder); // (this very process too: one open per data dir)
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${path}`);
}
