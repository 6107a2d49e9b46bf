import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryStore } from '../../src/db/registry-store.ts';
import { handlers } from '../../src/handlers/index.ts';
import { Registry } from '../../src/registry/registry.ts';
import { seed } from '../../src/registry/seed.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

// The change feed re-reads rows while this process may be applying its own newer writes.
describe('a re-read never undoes a newer local write (pglite)', () => {
  let db: TestDatabase;
  let registry: Registry;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    await seed(db.database, handlers);
    registry = new Registry(new RegistryStore(db.database.db), handlers, silentLogger);
    await registry.loadServer('utility');
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('a write applied while a reload of the same tool is in flight wins over the older row the reload read', async () => {
    const current = registry.snapshot('utility')!.tools.get('get_time')!.row;
    const reload = registry.reloadTools('utility', ['get_time']); // reads the row as stored: current.version
    registry.applyTool({ ...current, version: current.version + 1, description: 'newer, applied by this process' });
    await reload;
    expect(registry.snapshot('utility')!.tools.get('get_time')!.row).toMatchObject({
      version: current.version + 1,
      description: 'newer, applied by this process',
    });

    const full = registry.loadServer('utility');
    registry.applyTool({ ...current, version: current.version + 2, description: 'newest' });
    await full;
    expect(registry.snapshot('utility')!.tools.get('get_time')!.row.description).toBe('newest');
  });

  it('a later reload, started after the write, reads the database again', async () => {
    await registry.reloadTools('utility', ['get_time']);
    const stored = (await db.database.query(`select version from tools where server_id = 'utility' and name = 'get_time'`)).rows[0]!;
    expect(registry.snapshot('utility')!.tools.get('get_time')!.row.version).toBe(stored.version);
  });
});
