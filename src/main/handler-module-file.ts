import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '../handlers/define.ts';
import { typeScriptLoader } from '../shared/typescript-loader.ts';

/**
 * One file of TOOLPORT_HANDLERS_DIR: which files count as handler modules,
 * what tells a changed file from an unchanged one, and importing a file
 * afresh (ESM caches a module by URL, so each load gets its own `?v=`) into
 * the handlers it exports.
 */

const MODULE_FILE = /\.(ts|mts|js|mjs)$/;
/** Type declarations, tests and hidden files (editors' swap files) sit beside modules but are not modules. */
const NOT_A_MODULE = /(\.d\.[mc]?ts$|\.(test|spec)\.[mc]?[jt]s$|^\.|~$)/;

/** The handler-module files of `dir` (absolute path → a key that changes when the file does). */
export async function scanModules(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!MODULE_FILE.test(entry.name) || NOT_A_MODULE.test(entry.name) || entry.isDirectory()) continue;
    const file = join(dir, entry.name);
    try {
      const info = await stat(file);
      if (info.isFile()) found.set(file, `${info.ino}:${info.size}:${info.mtimeMs}`);
    } catch {
      // Removed between readdir and stat: the next scan sees it gone.
    }
  }
  return found;
}

/** The same duck-typing as the worker threads (registry/worker-task.ts) use to find a handler among a module's exports. */
function isHandler(value: unknown): value is Handler {
  const candidate = value as Partial<Handler> | null;
  return (
    typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string' && typeof candidate.run === 'function' && 'input' in candidate
  );
}

/**
 * A module's handler as Toolport runs it: without an explicit `runs` it goes
 * to the CPU worker pool, which loads it by this load's URL (so a thread runs
 * the same version the main thread loaded); `runs: 'inline'` stays on the
 * event loop; `runs: 'worker'` keeps the module URL it gave.
 */
function placed(handler: Handler, url: string): Handler {
  if (handler.runs === 'worker' || handler.runsDeclared === true) return handler;
  return { ...handler, runs: 'worker', module: url };
}

/** `Error: message` on one line, bounded: what logs, GET /handlers and unavailable tools show. */
export function describeError(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const text = `${name}: ${message}`.replace(/\s*\n\s*/g, ' ').trim();
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/**
 * Import `file` as version `version` and return the handlers it exports
 * (each one its own export, named or default). Throws when the module does
 * not load or exports no handler.
 */
export async function importHandlers(file: string, version: number): Promise<Handler[]> {
  const url = `${pathToFileURL(file).href}?v=${version}`;
  await typeScriptLoader(url);
  const exports = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  const found: Handler[] = [];
  for (const value of Object.values(exports)) if (isHandler(value) && !found.includes(value)) found.push(value);
  if (found.length === 0) throw new Error('the module exports no handler (export each defineHandler(...) result)');
  return found.map((handler) => placed(handler, url));
}
