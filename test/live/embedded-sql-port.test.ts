import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToolport, type Toolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { freePort } from '../support/process.ts';
import { json } from '../support/toolport.ts';
import { within } from './within.ts';

// psql on the embedded database's SQL port raises no in-process NOTIFY: the change feed's poll picks its edits up.
describe('embedded database: edits through the SQL port go live', () => {
  const root = mkdtempSync(join(tmpdir(), 'toolport-sqlport-'));
  let toolport: Toolport;
  let sql: postgres.Sql;

  beforeAll(async () => {
    const sqlPort = await freePort();
    toolport = await startToolport(
      loadConfig({ TOOLPORT_DATA_DIR: join(root, 'data'), TOOLPORT_SERVERS: 'utility:0', TOOLPORT_SQL_PORT: String(sqlPort), TOOLPORT_CHANGE_POLL_MS: '500' }),
      { logger: silentLogger },
    );
    expect(toolport.sqlPort).toBe(sqlPort);
    sql = postgres({ host: '127.0.0.1', port: sqlPort, user: 'postgres', database: 'postgres', max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await toolport?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('an UPDATE over the wire shows on REST within the poll interval', async () => {
    await sql`update tools set description = 'edited over the SQL port' where server_id = 'utility' and name = 'get_time'`;
    const utility = toolport.listeners.get('utility')!.url;
    await within(2000, async () => ((await json(await fetch(`${utility}/tools/get_time`))).description === 'edited over the SQL port' ? true : undefined));
  });
});
