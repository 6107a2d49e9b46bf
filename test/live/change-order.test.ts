import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { within } from './within.ts';

if (!TEST_DATABASE_URL) console.warn('test/live/change-order: skipped — set TEST_DATABASE_URL to a PostgreSQL server to run it');

const insertTool = (sql: postgres.Sql | postgres.TransactionSql, name: string) =>
  sql`insert into tools (server_id, name, description, input_schema, handler)
      values ('utility', ${name}, 'x', '{"type":"object"}', 'get_time')`;

describe.skipIf(!TEST_DATABASE_URL)('change log edge cases (PostgreSQL)', () => {
  let db: TestDatabase;
  let app: RunningToolport;
  let sql: postgres.Sql;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    app = await startTestToolport(db, { TOOLPORT_CHANGE_POLL_MS: '200' });
    sql = postgres(db.url!, { max: 3, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end();
    await app?.stop();
    await db?.dispose();
  });

  const listed = async (name: string) => ((await fetch(`${app.urls.utility}/tools/${name}`)).status === 200 ? true : undefined);

  it('a change committed after a later one (lower id, later commit) is still applied', async () => {
    let commitFirst!: () => void;
    const held = new Promise<void>((resolve) => (commitFirst = resolve));
    // Transaction A takes the lower change id but commits last.
    const slow = sql.begin(async (tx) => {
      await insertTool(tx, 'committed_last');
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await insertTool(sql, 'committed_first');
    await within(2000, () => listed('committed_first'), 'later id applied');
    commitFirst();
    await slow;
    await within(2000, () => listed('committed_last'), 'earlier id applied after its late commit');
  });

  it('a process that starts while a lower change id is still uncommitted still applies it', async () => {
    const second = await openTestDatabase('postgres');
    const sql2 = postgres(second.url!, { max: 3, onnotice: () => {} });
    let other: RunningToolport | undefined;
    try {
      const seeding = await startTestToolport(second); // migrate + seed, then stop: the database is ready
      await seeding.stop();
      let commit!: () => void;
      const held = new Promise<void>((resolve) => (commit = resolve));
      const slow = sql2.begin(async (tx) => {
        await insertTool(tx, 'held_at_start');
        await held;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await insertTool(sql2, 'visible_at_start'); // a higher id, committed first
      other = await startTestToolport(second, { TOOLPORT_CHANGE_POLL_MS: '200' });
      expect((await fetch(`${other.urls.utility}/tools/visible_at_start`)).status).toBe(200);
      commit();
      await slow;
      await within(2000, async () => ((await fetch(`${other!.urls.utility}/tools/held_at_start`)).status === 200 ? true : undefined), 'held change applied');
    } finally {
      await other?.stop();
      await sql2.end();
      await second.dispose();
    }
  });

  it('prunes change-log rows older than the retention', async () => {
    await sql`insert into registry_changes (table_name, server_id, name, operation, changed_at)
              values ('tools', 'utility', 'ancient', 'UPDATE', now() - interval '48 hours')`;
    const removed = await app.toolport.runtime.store.pruneChanges(24);
    expect(removed).toBeGreaterThanOrEqual(1);
    const rows = await sql`select count(*)::int as n from registry_changes where name = 'ancient'`;
    expect(rows[0]!.n).toBe(0);
  });
});
