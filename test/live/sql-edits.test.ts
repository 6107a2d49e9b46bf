import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLegacy, countLegacyChanges, type LegacyConnection } from '../mcp/support.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { json, type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { within } from './within.ts';

// SQL edits from another connection: on Postgres they arrive by NOTIFY; on
// PGlite (in-process here) by its in-process notification.
describe.each(backends)('SQL edits go live (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let utility: string;
  let session: LegacyConnection;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db);
    utility = app.urls.utility!;
    session = await connectLegacy(utility);
  });
  afterAll(async () => {
    await session?.client.close();
    await app?.stop();
    await db?.dispose();
  });

  it('UPDATE tools SET description → on REST and pushed to an MCP session within 1 s', async () => {
    const changes = countLegacyChanges(session.client);
    await db.database.query(`UPDATE tools SET description = 'Edited in psql' WHERE server_id = 'utility' AND name = 'get_time'`);
    const tool = await within(1000, async () => {
      const body = await json(await fetch(`${utility}/tools/get_time`));
      return body.description === 'Edited in psql' ? body : undefined;
    });
    expect(tool.version).toBe(2);
    await changes.reach(1, 1000);
    const listed = await session.client.listTools();
    expect(listed.tools.find((t) => t.name === 'get_time')?.description).toBe('Edited in psql');
  });

  it('INSERT INTO tools → listed and callable within 1 s', async () => {
    await db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler)
       VALUES ('utility', 'sql_clock', 'Added with SQL', '{"type":"object","properties":{"timezone":{"type":"string"}}}', 'get_time')`,
    );
    await within(1000, async () => ((await fetch(`${utility}/tools/sql_clock`)).status === 200 ? true : undefined));
    const call = await fetch(`${utility}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sql_clock', arguments: { timezone: 'UTC' } }),
    });
    expect(call.status).toBe(200);
  });

  it('hand-inserted rows with a broken schema or unknown handler are listed unavailable with the reason; the rest still work', async () => {
    await db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES
         ('utility', 'typo_schema', 'broken', '{"type":"object","requried":["x"]}', 'get_time'),
         ('utility', 'no_handler', 'broken', '{"type":"object"}', 'does_not_exist'),
         ('utility', 'not_object', 'broken', '{"type":"string"}', 'get_time')`,
    );
    const tools = await within(1000, async () => {
      const body = await json(await fetch(`${utility}/tools`));
      const byName = new Map<string, any>(body.tools.map((t: any) => [t.name, t]));
      // Schemas compile in the background after a change is loaded: wait for the verdict.
      const settled = ['typo_schema', 'no_handler', 'not_object'].every((name) => byName.get(name)?.available === false);
      return settled ? byName : undefined;
    });
    expect(tools.get('typo_schema')).toMatchObject({ available: false, reason: expect.stringMatching(/requried/) });
    expect(tools.get('no_handler')).toMatchObject({ available: false, reason: expect.stringMatching(/no handler "does_not_exist"/) });
    expect(tools.get('not_object')).toMatchObject({ available: false, reason: expect.stringMatching(/object/) });
    const mcpNames = (await session.client.listTools()).tools.map((t) => t.name);
    expect(mcpNames).not.toContain('typo_schema');
    expect(mcpNames).not.toContain('no_handler');
    expect(mcpNames).toContain('get_time');
    expect(
      (
        await fetch(`${utility}/tools/call`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'typo_schema', arguments: {} }),
        })
      ).status,
    ).toBe(503);
    expect(
      (
        await fetch(`${utility}/tools/call`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'get_time', arguments: {} }),
        })
      ).status,
    ).toBe(200);
  });

  it('DELETE FROM tools → gone within 1 s', async () => {
    await db.database.query(`DELETE FROM tools WHERE server_id = 'utility' AND name = 'sql_clock'`);
    await within(1000, async () => ((await fetch(`${utility}/tools/sql_clock`)).status === 404 ? true : undefined));
  });

  it('records every change in registry_changes', async () => {
    const rows = await db.database.query(`SELECT table_name, server_id, name, operation FROM registry_changes WHERE name IN ('sql_clock') ORDER BY id`);
    expect(rows.rows.map((row) => row.operation)).toEqual(['INSERT', 'DELETE']);
  });
});
