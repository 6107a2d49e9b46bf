import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/client';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToolport, type Toolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { connectModernAs } from '../mcp/access-support.ts';
import { countModernChanges, sleep } from '../mcp/support.ts';
import { freePort } from '../support/process.ts';
import { json } from '../support/toolport.ts';
import { within } from './within.ts';

/**
 * An edit over the embedded database's SQL port (psql) goes live when its
 * statement ends, not at the next poll: the poll is set to a minute here, so
 * only the SQL port's statement hook can make it live in time. An edit inside
 * an open transaction goes live at its COMMIT, not before.
 */
describe('embedded database: the SQL port triggers the change feed', () => {
  const root = mkdtempSync(join(tmpdir(), 'toolport-sqllive-'));
  const dataDir = join(root, 'data');
  let toolport: Toolport;
  let sql: postgres.Sql;
  let utility: string;
  let mcp: Client;
  let sqlPort: number;
  let password: string;
  const description = async () => (await json(await fetch(`${utility}/tools/get_time`))).description as string;

  beforeAll(async () => {
    sqlPort = await freePort();
    toolport = await startToolport(
      loadConfig({ TOOLPORT_DATA_DIR: dataDir, TOOLPORT_SERVERS: 'utility:0', TOOLPORT_SQL_PORT: String(sqlPort), TOOLPORT_CHANGE_POLL_MS: '60000' }),
      { logger: silentLogger, runningDir: join(root, 'running') },
    );
    utility = toolport.listeners.get('utility')!.url;
    password = readFileSync(`${dataDir}.sql-password`, 'utf8').trim();
    sql = postgres({ host: '127.0.0.1', port: sqlPort, user: 'postgres', database: 'postgres', password, max: 1, onnotice: () => {} });
    mcp = await connectModernAs(utility, undefined);
  });
  afterAll(async () => {
    await mcp?.close();
    await sql?.end({ timeout: 2 });
    await toolport?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('an UPDATE over the wire reaches REST and an MCP listener long before the poll', async () => {
    const changes = countModernChanges(mcp);
    await mcp.listen({ toolsListChanged: true });
    const started = Date.now();
    await sql`update tools set description = 'live over the SQL port' where server_id = 'utility' and name = 'get_time'`;
    await changes.reach(1, 5_000);
    expect(Date.now() - started).toBeLessThan(30_000); // far inside the 60 s poll: the hook, not the poll
    expect(await description()).toBe('live over the SQL port');
    const listed = await mcp.listTools();
    expect(listed.tools.find((tool) => tool.name === 'get_time')?.description).toBe('live over the SQL port');
  });

  it('inside a transaction: nothing before COMMIT, live at COMMIT; a ROLLBACK never goes live', async () => {
    const reserved = await sql.reserve();
    try {
      await reserved`begin`;
      await reserved`update tools set description = 'inside a transaction' where server_id = 'utility' and name = 'get_time'`;
      await sleep(300);
      expect(await description()).toBe('live over the SQL port');
      await reserved`commit`;
      await within(5_000, async () => ((await description()) === 'inside a transaction' ? true : undefined));

      await reserved`begin`;
      await reserved`update tools set description = 'rolled back' where server_id = 'utility' and name = 'get_time'`;
      await reserved`rollback`;
      await sleep(300);
      expect(await description()).toBe('inside a transaction');
    } finally {
      reserved.release();
    }
  });

  it('psql itself (the simple query protocol) goes live the same way', async () => {
    // Not execFileSync: the SQL port answers from this very process.
    await promisify(execFile)(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(sqlPort),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        "UPDATE tools SET description = 'edited in psql' WHERE server_id = 'utility' AND name = 'get_time'",
      ],
      {
        env: { ...process.env, PGPASSWORD: password },
      },
    );
    await within(5_000, async () => ((await description()) === 'edited in psql' ? true : undefined));
  });
});
