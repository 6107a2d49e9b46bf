import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryStore } from '../../src/db/registry-store.ts';
import { handlers } from '../../src/handlers/index.ts';
import { Registry } from '../../src/registry/registry.ts';
import { seed } from '../../src/registry/seed.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

// Schemas are compiled after a snapshot loads (in the background) or on first call, whichever comes first.
describe('lazily compiled tool schemas (pglite)', () => {
  let db: TestDatabase;
  let registry: Registry;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    await seed(db.database, handlers);
    await db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES
         ('utility', 'bad_ref', 'x', '{"type":"object","properties":{"a":{"$ref":"#/$defs/none"}}}', 'get_time'),
         ('utility', 'bad_keyword', 'x', '{"type":"object","requried":["a"]}', 'get_time')`,
    );
    registry = new Registry(new RegistryStore(db.database.db), handlers, silentLogger);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('a call that reaches an uncompiled broken schema fails as unavailable and hides the tool from then on', async () => {
    const snapshot = (await registry.loadServer('utility'))!;
    const entry = snapshot.tools.get('bad_ref')!;
    expect(entry.available).toBe(true); // not compiled yet
    expect(() => registry.validatorFor('utility', entry)).toThrow(/cannot resolve \$ref "#\/\$defs\/none"/);
    const after = registry.snapshot('utility')!;
    expect(after.tools.get('bad_ref')).toMatchObject({ available: false, reason: expect.stringMatching(/\$ref/) });
    expect(after.available.map((tool) => tool.row.name)).not.toContain('bad_ref');
  });

  it('the background pass finds the other broken schema and keeps the good ones', async () => {
    await registry.schemasChecked();
    const snapshot = registry.snapshot('utility')!;
    expect(snapshot.tools.get('bad_keyword')).toMatchObject({ available: false, reason: expect.stringMatching(/requried/) });
    expect(snapshot.tools.get('get_time')).toMatchObject({ available: true, schemaChecked: true });
    expect(registry.validatorFor('utility', snapshot.tools.get('get_time')!)({ timezone: 1 })).toEqual([{ path: '/timezone', message: 'must be string' }]);
  });
});
