import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { handlers } from '../../src/handlers/index.ts';
import { startToolport } from '../../src/main/toolport.ts';
import { seed } from '../../src/registry/seed.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { json } from '../support/toolport.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'toolport-test-'));
  dirs.push(dir);
  return join(dir, 'data');
}

async function registerRestartAndCheck(env: Record<string, string>) {
  const config = loadConfig({ TOOLPORT_SERVERS: 'finance:0,utility:0', ...env });
  const first = await startToolport(config, { logger: silentLogger, sqlPort: false });
  const created = await fetch(`${first.listeners.get('finance')!.url}/tools`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'persisted', description: 'survives restarts', handler: 'calculate_portfolio' }),
  });
  expect(created.status).toBe(201);
  await first.stop();

  const second = await startToolport(config, { logger: silentLogger, sqlPort: false });
  try {
    const tool = await json(await fetch(`${second.listeners.get('finance')!.url}/tools/persisted`));
    expect(tool).toMatchObject({ name: 'persisted', description: 'survives restarts', available: true });
    const info = await json(await fetch(`${second.listeners.get('finance')!.url}/info`));
    expect(info.tools.count).toBe(4);
  } finally {
    await second.stop();
  }
}

describe('register, restart, still there', () => {
  it('embedded PGlite data dir', async () => {
    await registerRestartAndCheck({ TOOLPORT_DATA_DIR: freshDataDir() });
  });

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL server', async () => {
    const { url, drop } = await createPostgresDatabase();
    try {
      await registerRestartAndCheck({ DATABASE_URL: url });
    } finally {
      await drop();
    }
  });
});

describe('seeding', () => {
  it('is idempotent: running it twice changes nothing', async () => {
    const database = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://' });
    try {
      await migrate(database);
      const first = await seed(database, handlers);
      expect(first.servers).toBe(2);
      expect(first.tools).toBe(7);
      expect(first.sampleRows).toBeGreaterThan(0);
      const snapshot = await database.query('select server_id, name, version, updated_at from tools order by 1, 2');
      const second = await seed(database, handlers);
      expect(second).toEqual({ servers: 0, tools: 0, sampleRows: 0 });
      expect(await database.query('select server_id, name, version, updated_at from tools order by 1, 2')).toEqual(snapshot);
      const perServer = await database.query('select server_id, count(*)::int as tools from tools group by 1 order by 1');
      expect(perServer.rows).toEqual([
        { server_id: 'finance', tools: 3 },
        { server_id: 'utility', tools: 4 },
      ]);
    } finally {
      await database.close();
    }
  });
});
