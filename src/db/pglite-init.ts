import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INITDB_SCRIPT = fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url));

/** Whether `dataDir` already holds a database (PGlite's initdb has run there). */
export function hasDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Run PGlite's initdb for a new data dir in a child process (see
 * pglite-initdb.mjs for why): the server process then opens an existing data
 * dir and never carries initdb's memory. The caller holds the data-dir lock.
 */
export function initPgliteDataDir(dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [INITDB_SCRIPT, dataDir], { maxBuffer: 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`initializing the PGlite data dir ${dataDir} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}
