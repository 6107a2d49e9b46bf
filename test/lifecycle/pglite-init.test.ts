import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { hasDatabase, initPgliteDataDir } from '../../src/db/pglite-init.ts';

/**
 * A new PGlite data dir is created by a short-lived child process: PGlite's
 * initdb grows WebAssembly memory that a process never gives back (the first
 * start peaked at ~940 MB and stayed at ~870 MB; with the child, the server
 * process peaks at ~460 MB, what opening an existing data dir costs).
 */
describe('PGlite data dir initialization', () => {
  const root = mkdtempSync(join(tmpdir(), 'toolport-pglite-init-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('creates a database in a child process that this process then opens', async () => {
    const dataDir = join(root, 'data');
    expect(hasDatabase(dataDir)).toBe(false);
    await initPgliteDataDir(dataDir);
    expect(hasDatabase(dataDir)).toBe(true);
    const db = await PGlite.create(dataDir);
    try {
      expect((await db.query<{ answer: number }>('select 41 + 1 as answer')).rows).toEqual([{ answer: 42 }]);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('names the data dir and the cause when it cannot be created', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'a file, not a directory');
    await expect(initPgliteDataDir(join(file, 'data'))).rejects.toThrow(/initializing the PGlite data dir .*not-a-dir\/data failed: .+/);
  }, 60_000);
});
