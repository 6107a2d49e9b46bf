import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromProjectRoot } from '../shared/project-root.ts';

/**
 * A new embedded data dir is a copy of a template: a data dir that PGlite's
 * initdb and every migration have run in once, kept under
 * node_modules/.cache/toolport/ (made by `npm install`, or by the first
 * start that needs it). Copying it takes tens of milliseconds where initdb
 * takes seconds, so a first start (`npm start`, a desktop client's first
 * `toolport mcp`) is about as fast as any other.
 *
 * Nothing here leaves a half-made data dir: the template and each new data
 * dir are built beside their final place and renamed into it whole.
 */
const INITDB_SCRIPT = fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url));
const MIGRATIONS = fromProjectRoot('migrations');
const READY = 'toolport-template-ready';
/** The template as one tar file (PGlite's dumpDataDir), for in-memory databases; not part of a copied data dir. */
const IMAGE = 'toolport-template.tar';
export const TEMPLATE_IMAGE = IMAGE;

/** Where the template for this PGlite version and this set of migrations lives (made or not). */
export function templateDir(cacheRoot = fromProjectRoot('node_modules', '.cache', 'toolport')): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(`${path.slice(MIGRATIONS.length)}\0`).update(readFileSync(path));
    }
  };
  walk(MIGRATIONS);
  return join(cacheRoot, `pglite-${pgliteVersion()}-${hash.digest('hex').slice(0, 16)}`);
}

/** The installed PGlite's version (its package.json is not exported: found above its entry file). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}

/** Whether `dataDir` already holds a database (PGlite's initdb has run there). */
export function hasDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** Run initdb (and the migrations, when given) for a new data dir in a child process: see pglite-initdb.mjs for why. */
export function runInitdb(dataDir: string, migrationsFolder?: string, imageName?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [INITDB_SCRIPT, dataDir, ...(migrationsFolder ? [migrationsFolder, ...(imageName ? [imageName] : [])] : [])];
    execFile(process.execPath, args, { maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`initializing the PGlite data dir ${dataDir} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** A sibling path of `path` for work in progress, unique to this process. */
function beside(path: string, what: string): string {
  return join(dirname(path), `.${basename(path)}.${what}-${process.pid}-${Date.now()}`);
}

/** Remove what processes that died mid-way left beside `path` (`.name.<what>-<pid>-<time>`). */
function removeLeftovers(path: string, what: string): void {
  const prefix = `.${basename(path)}.${what}-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isSafeInteger(pid) || pid === process.pid || alive(pid)) continue;
    rmSync(join(dirname(path), name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The template, made first if it is missing (by several processes at once:
 * one rename wins, the others use it). Resolves to its path.
 */
export async function ensureTemplate(dir = templateDir()): Promise<string> {
  if (isReady(dir)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  removeLeftovers(dir, 'building');
  const building = beside(dir, 'building');
  try {
    await runInitdb(building, MIGRATIONS, IMAGE);
    writeFileSync(join(building, READY), `made by Toolport for new embedded data dirs; safe to delete\n`);
    // A template of an older Toolport (no image) is replaced.
    if (existsSync(dir) && !isReady(dir)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(building, dir);
    } catch (error) {
      if (!isReady(dir)) throw error; // another process made it meanwhile: use theirs
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

function isReady(dir: string): boolean {
  return existsSync(join(dir, READY)) && existsSync(join(dir, IMAGE));
}

/** What PostgreSQL's initdb puts in a data dir: a directory holding only these is an interrupted one. */
const DATA_DIR_ENTRY = /^(PG_VERSION|base|global|pg_[a-z_]+|postgresql(\.auto)?\.conf|postmaster\.(pid|opts))$/;

/**
 * Make `dataDir` a new database from the template. The copy is made beside
 * it and renamed into place, so an interrupted start leaves either no
 * database or a whole one. An existing empty directory is replaced; one
 * holding only the remains of an interrupted initdb (an older Toolport, or
 * killed mid-way) is moved aside first, with the name returned; anything
 * else in it is refused, never deleted.
 */
export function createFromTemplate(template: string, dataDir: string): { movedAside?: string } {
  removeLeftovers(dataDir, 'creating');
  const copy = beside(dataDir, 'creating');
  let movedAside: string | undefined;
  try {
    cpSync(template, copy, { recursive: true, filter: (source) => ![READY, IMAGE, 'postmaster.pid'].includes(basename(source)) });
    if (existsSync(dataDir)) {
      const entries = readdirSync(dataDir);
      if (entries.length === 0) rmdirSync(dataDir);
      else if (entries.every((name) => DATA_DIR_ENTRY.test(name))) {
        movedAside = `${dataDir}.incomplete-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        renameSync(dataDir, movedAside);
      } else {
        throw new Error(
          `the data dir ${dataDir} holds files that are not a PostgreSQL database (${entries.slice(0, 5).join(', ')}): ` +
            'point TOOLPORT_DATA_DIR at an empty or new directory',
        );
      }
    }
    renameSync(copy, dataDir);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  return movedAside ? { movedAside } : {};
}
