import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryStore } from '../../src/db/registry-store.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

const draft = (description: string) => ({
  name: 'kept',
  title: null,
  description,
  inputSchema: { type: 'object', properties: {} },
  outputSchema: null,
  handler: 'get_time',
  handlerConfig: {},
  annotations: {},
  enabled: true,
});

/** TOOLPORT_REVISIONS_KEEP: the write service's transactions prune as they go; the sweep catches edits made in SQL. */
describe.each(backends)('revision retention (%s)', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await db.database.query(`INSERT INTO servers (id, name) VALUES ('s1', 'S1')`);
  });
  afterAll(() => db.dispose());

  const versions = async (name: string) =>
    (await db.database.query(`SELECT version FROM tool_revisions WHERE server_id = 's1' AND name = $1 ORDER BY version`, [name])).rows.map(
      (row) => row.version,
    );

  it('keeps the newest N revisions of a tool written through the store, and all of them otherwise', async () => {
    const store = new RegistryStore(db.database.db, { revisionsKeep: 2 });
    await store.transaction('test', (tx) => tx.insertTool('s1', draft('v1')));
    for (const text of ['v2', 'v3', 'v4']) await store.transaction('test', (tx) => tx.updateTool('s1', 'kept', draft(text)));
    expect(await versions('kept')).toEqual([3, 4]);
    await store.transaction('test', (tx) => tx.deleteTool('s1', 'kept'));
    expect(await versions('kept')).toEqual([4, 5]);

    const unbounded = new RegistryStore(db.database.db);
    await unbounded.transaction('test', (tx) => tx.insertTool('s1', { ...draft('a'), name: 'all' }));
    for (const text of ['b', 'c', 'd']) await unbounded.transaction('test', (tx) => tx.updateTool('s1', 'all', { ...draft(text), name: 'all' }));
    expect(await versions('all')).toEqual([1, 2, 3, 4]);
  });

  it('the sweep prunes what SQL edits left (every tool to N, never its newest), and a version set lower in SQL still grows', async () => {
    for (const text of ['e', 'f']) await db.database.query(`UPDATE tools SET description = $1, version = 1 WHERE server_id = 's1' AND name = 'all'`, [text]);
    expect(await versions('all')).toEqual([1, 2, 3, 4, 5, 6]);
    const store = new RegistryStore(db.database.db, { revisionsKeep: 3 });
    expect(await store.revisionStore().prune(3)).toBe(3);
    expect(await versions('all')).toEqual([4, 5, 6]);
    expect(await versions('kept')).toEqual([4, 5]);
    expect(await store.revisionStore().prune(0)).toBe(2 + 1);
    expect(await versions('all')).toEqual([6]);
  });
});
