import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectModern, countModernChanges } from '../mcp/support.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { type Child, freePort, runCli } from '../support/process.ts';
import { json } from '../support/toolport.ts';
import { within } from './within.ts';

if (!TEST_DATABASE_URL) console.warn('test/live/replicas: skipped — set TEST_DATABASE_URL to a PostgreSQL server to run it');

describe.skipIf(!TEST_DATABASE_URL)('several processes on one PostgreSQL (real child processes)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let a: Child;
  let b: Child;
  let aUrl: string;
  let bUrl: string;
  let sql: postgres.Sql;

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    sql = postgres(url, { max: 2, onnotice: () => {} });
    const [pa, pb] = await Promise.all([freePort(), freePort()]);
    aUrl = `http://127.0.0.1:${pa}`;
    bUrl = `http://127.0.0.1:${pb}`;
    // Both start at once: migrations run under an advisory lock, seeding is idempotent.
    a = runCli(['serve'], { DATABASE_URL: url, TOOLPORT_SERVERS: `utility:${pa}`, TOOLPORT_LOG_LEVEL: 'info' });
    b = runCli(['serve'], { DATABASE_URL: url, TOOLPORT_SERVERS: `utility:${pb}`, TOOLPORT_LOG_LEVEL: 'info' });
    await Promise.all([a.waitFor(/"listening"/, 60_000), b.waitFor(/"listening"/, 60_000)]);
  });
  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await sql?.end();
    await drop?.();
  });

  it('started together, they seeded once', async () => {
    const rows = await sql`select server_id, count(*)::int as n from tools group by 1 order by 1`;
    expect(rows).toEqual([
      { server_id: 'finance', n: 3 },
      { server_id: 'utility', n: 4 },
    ]);
  });

  it('register on A → callable on B and B’s MCP listen stream notified within 1 s; delete on B → gone on A', async () => {
    const client = await connectModern(bUrl);
    try {
      await client.listen({ toolsListChanged: true });
      const changes = countModernChanges(client);
      const created = await fetch(`${aUrl}/tools`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'replicated', description: 'x', handler: 'get_time' }),
      });
      expect(created.status).toBe(201);
      await changes.reach(1, 1000);
      await within(
        1000,
        async () => {
          const call = await fetch(`${bUrl}/tools/call`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'replicated', arguments: { timezone: 'UTC' } }),
          });
          return call.status === 200 ? true : undefined;
        },
        'callable on B',
      );
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('replicated');
    } finally {
      await client.close();
    }
    expect((await fetch(`${bUrl}/tools/replicated`, { method: 'DELETE' })).status).toBe(200);
    await within(1000, async () => ((await fetch(`${aUrl}/tools/replicated`)).status === 404 ? true : undefined), 'gone on A');
  });

  it('killing the LISTEN connections loses no change made meanwhile', async () => {
    // Terminate every connection the two processes hold, then change things right away.
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    await sql`update tools set description = 'while reconnecting' where server_id = 'utility' and name = 'text_analyzer'`;
    await sql`insert into tools (server_id, name, description, input_schema, handler)
              values ('utility', 'during_outage', 'x', '{"type":"object"}', 'get_time')`;
    for (const base of [aUrl, bUrl]) {
      await within(
        5000,
        async () => {
          const analyzer = await json(await fetch(`${base}/tools/text_analyzer`));
          const added = await fetch(`${base}/tools/during_outage`);
          return analyzer.description === 'while reconnecting' && added.status === 200 ? true : undefined;
        },
        `caught up on ${base}`,
      );
    }
  });
});
