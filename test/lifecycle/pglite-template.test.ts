import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDataDir } from '../../src/db/pglite-new-data-dir.ts';
import { createFromTemplate, ensureTemplate, hasDatabase, runInitdb, templateDir } from '../../src/db/pglite-template.ts';

/**
 * A new embedded data dir is a copy of a template made once (initdb and the
 * migrations, in a child process: PGlite's initdb grows WebAssembly memory a
 * process never gives back). Copies appear whole or not at all.
 */
describe('PGlite data dirs from a template', () => {
  const root = mkdtempSync(join(tmpdir(), 'toolport-pglite-template-'));
  let template: string;
  beforeAll(async () => {
    template = await ensureTemplate(templateDir(join(root, 'cache')));
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  async function tablesIn(dataDir: string): Promise<string[]> {
    const db = await PGlite.create(dataDir);
    try {
      const { rows } = await db.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public' order by 1");
      return rows.map((row) => row.table_name);
    } finally {
      await db.close();
    }
  }

  it('the template is migrated, made once per PGlite version and migration set, and reused', async () => {
    expect(template).toMatch(/pglite-\d+\.\d+\.\d+-[0-9a-f]{16}$/);
    const made = statSync(template).mtimeMs;
    expect(await ensureTemplate(template)).toBe(template);
    expect(statSync(template).mtimeMs).toBe(made);
    expect(readdirSync(join(root, 'cache')).filter((name) => name.startsWith('.'))).toEqual([]); // no work left behind
  });

  it('a new data dir is a whole copy: a missing or an empty directory becomes a migrated database', async () => {
    for (const dataDir of [join(root, 'new'), join(root, 'empty')]) {
      if (dataDir.endsWith('empty')) mkdirSync(dataDir);
      expect(createFromTemplate(template, dataDir)).toEqual({});
      expect(hasDatabase(dataDir)).toBe(true);
      expect(existsSync(join(dataDir, 'toolport-template-ready'))).toBe(false);
      expect(await tablesIn(dataDir)).toEqual(expect.arrayContaining(['mcp_sessions', 'servers', 'tools', 'registry_changes']));
    }
  }, 60_000);

  it('the remains of an interrupted initdb are moved aside, not reused and not deleted', async () => {
    const dataDir = join(root, 'interrupted');
    mkdirSync(join(dataDir, 'base'), { recursive: true });
    mkdirSync(join(dataDir, 'pg_wal'));
    writeFileSync(join(dataDir, 'postgresql.conf'), '# half written\n');
    const { movedAside } = createFromTemplate(template, dataDir);
    expect(movedAside).toMatch(/interrupted\.incomplete-/);
    expect(readFileSync(join(movedAside!, 'postgresql.conf'), 'utf8')).toBe('# half written\n');
    expect(await tablesIn(dataDir)).toContain('tools');
  }, 60_000);

  it('a directory holding anything else is refused, untouched', () => {
    const dataDir = join(root, 'someone-elses');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'notes.txt'), 'mine');
    expect(() => createFromTemplate(template, dataDir)).toThrow(/holds files that are not a PostgreSQL database \(notes\.txt\)/);
    expect(readdirSync(dataDir)).toEqual(['notes.txt']);
    expect(readdirSync(root).filter((name) => name.includes('creating'))).toEqual([]);
  });

  it('leftovers of a process that died while copying or building are removed by the next one', async () => {
    const dead = 2 ** 22 + 12345; // above pid_max's default: no such process
    const dataDir = join(root, 'after-a-crash');
    cpSync(template, join(root, `.after-a-crash.creating-${dead}-1`), { recursive: true });
    await newDataDir(dataDir, join(root, 'cache'));
    expect(readdirSync(root).filter((name) => name.startsWith('.after-a-crash'))).toEqual([]);
    expect(hasDatabase(dataDir)).toBe(true);
  }, 60_000);

  it('names the data dir and the cause when initdb cannot run', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'a file, not a directory');
    await expect(runInitdb(join(file, 'data'))).rejects.toThrow(/initializing the PGlite data dir .*not-a-dir\/data failed: .+/);
  }, 60_000);
});
