/**
 * The production build (dist/): compile with tsc (tsconfig.build.json),
 * copy the plain-JavaScript entry files beside the compiled code, and stamp
 * it. `npm start`, `npm test` and `bin/toolport.js` build first when dist/
 * is missing or older than what it is built from; one build at a time (a
 * lock directory), so processes starting together do not write it twice.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP = '.build-stamp';
/** What dist/ is built from: a change to any of these makes it stale. */
const INPUTS = ['src', 'drizzle', 'tsconfig.json', 'tsconfig.build.json'];
const LOCK_WAIT_MS = 180_000;

function newestChange(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its folder
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

/** Why `outDir` must be (re)built, or undefined when it is current. */
export function staleness(root = ROOT, outDir = join(root, 'dist')) {
  const stamp = statSync(join(outDir, STAMP), { throwIfNoEntry: false });
  if (!stamp) return 'dist/ has not been built';
  const newest = Math.max(...INPUTS.map((input) => newestChange(join(root, input))));
  return newest > stamp.mtimeMs ? 'src/ changed since dist/ was built' : undefined;
}

/**
 * Every file tsc does not emit but the code needs beside it: the .mjs entry
 * files under src/ (run as they are: the worker thread's, the PGlite initdb
 * child's) and everything in an `assets` folder (the admin UI's pages).
 */
function plainScripts(dir, found = [], inAssets = false) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) plainScripts(path, found, inAssets || entry.name === 'assets');
    else if (inAssets || entry.name.endsWith('.mjs')) found.push(path);
  }
  return found;
}

/** The `assets` folders under src/. */
function assetDirs(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name === 'assets') found.push(path);
    else assetDirs(path, found);
  }
  return found;
}

/** tsc, then the .mjs files, then the stamp. Throws with tsc's exit status when it fails (type errors). */
export function build({ root = ROOT, outDir = join(root, 'dist'), quiet = false } = {}) {
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    throw Object.assign(new Error('typescript is not installed (a production install without dev dependencies): ship dist/ built'), { code: 'NO_TSC' });
  }
  const started = Date.now();
  rmSync(join(outDir, STAMP), { force: true });
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')],
    {
      cwd: root,
      // tsc prints its errors on stdout: sent to stderr, so a stdio MCP server's stdout carries MCP only.
      stdio: quiet ? 'pipe' : ['ignore', 2, 2],
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw Object.assign(new Error(`tsc failed (exit ${result.status})${quiet ? `:\n${result.stdout}${result.stderr}` : ''}`), { code: 'TSC_FAILED' });
  }
  // Asset folders are copied whole: a file deleted from src/ must not linger in dist/ (tsc's incremental output is left alone).
  for (const dir of assetDirs(join(root, 'src'))) rmSync(join(outDir, relative(root, dir)), { recursive: true, force: true });
  for (const script of plainScripts(join(root, 'src'))) {
    const target = join(outDir, relative(root, script));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(script, target);
  }
  writeFileSync(join(outDir, STAMP), `${new Date().toISOString()}\n`);
  return Date.now() - started;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Hold the build lock while `work` runs; a lock left by a dead process is taken over. */
function withLock(root, work) {
  const lock = join(root, '.build-lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(join(lock, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another build (pid ${holder}) holds ${lock}; remove it if no build runs`);
      else sleep(200);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Build dist/ if it is stale; true when it is current afterwards. Without
 * typescript (a production install) a stale dist/ is reported and false
 * returned, so the caller can run from source instead.
 */
export function ensureBuilt({ root = ROOT, quiet = false } = {}) {
  if (!staleness(root)) return true;
  return withLock(root, () => {
    const reason = staleness(root); // another process may have built it meanwhile
    if (!reason) return true;
    if (!quiet) process.stderr.write(`toolport: building dist/ (${reason}) …\n`);
    try {
      const ms = build({ root });
      if (!quiet) process.stderr.write(`toolport: dist/ built in ${(ms / 1000).toFixed(1)} s\n`);
      return true;
    } catch (error) {
      if (error.code === 'NO_TSC') {
        process.stderr.write(`toolport: ${reason}, and ${error.message}; running from src/ through tsx\n`);
        return false;
      }
      throw error;
    }
  });
}
