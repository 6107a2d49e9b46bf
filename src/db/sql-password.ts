import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The password of the embedded database's SQL port. TOOLPORT_SQL_PASSWORD
 * when set; otherwise generated at the first start (192 random bits) and kept
 * in `<dataDir>.sql-password` (mode 0600, beside the data dir and its lock),
 * where `npm run sql` and `PGPASSWORD=$(cat …)` read it. Never logged here.
 */
export interface SqlPassword {
  password: string;
  /** The file holding it; undefined when it comes from TOOLPORT_SQL_PASSWORD or the database is in memory. */
  file: string | undefined;
  /** Made just now (first start): the one time the caller may show it. */
  created: boolean;
  /** The file existed with group/other permissions and was tightened to 0600. */
  tightened: boolean;
}

export function sqlPasswordPathFor(dataDir: string): string {
  return resolve(dataDir) + '.sql-password';
}

function generate(): string {
  return randomBytes(24).toString('base64url');
}

/** The password the SQL port of this data dir requires (created on first use). */
export function resolveSqlPassword(dataDir: string, fromEnv: string | undefined): SqlPassword {
  if (fromEnv !== undefined) return { password: fromEnv, file: undefined, created: false, tightened: false };
  if (dataDir.startsWith('memory://')) return { password: generate(), file: undefined, created: true, tightened: false };
  const file = sqlPasswordPathFor(dataDir);
  const existing = readExisting(file);
  if (existing) return { ...existing, file, created: false };
  return { ...create(file, existing === undefined), file, tightened: false };
}

/** The password in the file, or undefined when the file is missing or empty. For clients (`npm run sql`). */
export function readSqlPassword(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Cannot read the SQL port password file ${file}: ${(error as Error).message}`);
  }
}

/** undefined: no file; null: an empty file (replaced); otherwise its password. */
function readExisting(file: string): { password: string; tightened: boolean } | null | undefined {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (!stat.isFile()) throw new Error(`${file} is not a regular file: remove it (Toolport keeps the SQL port password there)`);
  let tightened = false;
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
    tightened = true;
  }
  const password = readFileSync(file, 'utf8').trim();
  return password ? { password, tightened } : null;
}

/**
 * Write the password to a private temporary file, then link it into place:
 * a reader never sees a half-written file, and of two processes racing, the
 * second finds the first one's file (link does not replace) and uses it.
 */
function create(file: string, mustNotExist: boolean): { password: string; created: boolean } {
  const password = generate();
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, password + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (mustNotExist) {
      try {
        linkSync(tmp, file);
        return { password, created: true };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') {
          const theirs = readSqlPassword(file);
          if (theirs) return { password: theirs, created: false };
        } else if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') {
          throw error;
        }
      }
    }
    renameSync(tmp, file); // replaces an empty file; or a file system without hard links
    return { password, created: true };
  } finally {
    rmSync(tmp, { force: true });
  }
}
