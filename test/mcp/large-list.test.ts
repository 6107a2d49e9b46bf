import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLS_PAGE_SIZE } from '../../src/mcp/tool-list.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { connectLegacy, connectModern, type LegacyConnection } from './support.ts';

const BULK = 1_000;

describe.each(backends)('tools/list of a large registry (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let utility: string;
  let modern: Client;
  let legacy: LegacyConnection;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db);
    utility = app.urls.utility!;
    // One INSERT instead of 1,000 REST calls: this test is about listing, not registering.
    await db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler)
       SELECT 'utility', 'bulk_' || lpad(n::text, 4, '0'), 'Bulk tool ' || n,
              '{"type":"object","properties":{"timezone":{"type":"string"}}}'::jsonb, 'get_time'
       FROM generate_series(1, ${BULK}) AS n`,
    );
    await app.toolport.runtime.registry.loadServer('utility');
    modern = await connectModern(utility);
    legacy = await connectLegacy(utility);
  });
  afterAll(async () => {
    await modern?.close();
    await legacy?.client.close();
    await app?.stop();
    await db?.dispose();
  });

  it('the SDK v2 client receives every tool (it follows nextCursor itself)', async () => {
    const names = (await modern.listTools()).tools.map((tool) => tool.name);
    expect(names).toHaveLength(BULK + 4);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((name) => name.startsWith('bulk_'))).toHaveLength(BULK);
  });

  it('the v1 client pages through bounded pages with cursors and gets every tool once, in order', async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await legacy.client.listTools(cursor ? { cursor } : {});
      expect(page.tools.length).toBeLessThanOrEqual(TOOLS_PAGE_SIZE);
      names.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil((BULK + 4) / TOOLS_PAGE_SIZE));
    expect(names).toHaveLength(BULK + 4);
    expect(names).toEqual([...names].sort());
  });

  it('a tampered cursor is -32602', async () => {
    await expect(legacy.client.listTools({ cursor: 'not a cursor!' })).rejects.toMatchObject({ code: -32602 });
  });

  it('a call still goes to the right tool among 1,000', async () => {
    const result = await modern.callTool({ name: 'bulk_0777', arguments: { timezone: 'UTC' } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ utcOffset: '+00:00' });
  });
});
