import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

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
}

export interface DataDirLock {
  path: string;
  update(info: Partial<LockInfo>): void;
  release(): void;
}

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

export function readLock(dataDir: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPathFor(dataDir), 'utf8')) as LockInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
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

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = lockPathFor(dataDir);
  let info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      let released = false;
      return {
        path,
        update(patch) {
          info = { ...info, ...patch };
          writeFileSync(path, JSON.stringify(info));
        },
        release() {
          if (released) return;
          released = true;
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
