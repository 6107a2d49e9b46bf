// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../mcp/access-support.ts';
import { createPostgresDatabase, openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/database.ts';
import { json, type RunningToolport, startTestToolport } from '../support/toolport.ts';

/**
 * Row-level security by caller: an sql tool's every call sets
 * `toolport.caller` to the caller's actor (`key:<id>`), so a policy
 * `owner = current_setting('toolport.caller', true)` on the target database
 * shows each API key its own rows — one tool, two keys, two answers. The
 * source connects as a login role that is not the table's owner (the test's
 * superuser would bypass RLS). PostgreSQL only: PGlite is one user.
 */

describe.skipIf(!TEST_DATABASE_URL)('toolport.caller and row-level security (postgres)', () => {
  const role = `tp_caller_${randomBytes(4).toString('hex')}`;
  let target: { url: string; drop: () => Promise<void> };
  let db: TestDatabase;
  let app: RunningToolport;
  let base: string;
  const keys: Record<'alice' | 'bob' | 'none', { id: string; key: string }> = {} as never;

  const rest = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    target = await createPostgresDatabase();
    const rlsUrl = new URL(target.url);
    rlsUrl.username = role;
    db = await openTestDatabase('postgres');
    app = await startTestToolport(db, { TOOLPORT_AUTH: 'required', TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN, TOOLPORT_SECRET_NOTES_DB_URL: rlsUrl.toString() });
    base = app.urls.utility!;
    for (const name of ['alice', 'bob', 'none'] as const) {
      const response = await rest('POST', '/keys', ADMIN_TOKEN, { name: `rls-${name}`, scopes: ['utility:call'] });
      expect(response.status).toBe(201);
      const created = await json(response);
      keys[name] = { id: created.id, key: created.key };
    }
    // The table is owned by the connecting superuser; the source's role only reads it, under the policy.
    const admin = postgres(target.url, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`
        CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL, body text NOT NULL);
        INSERT INTO notes (owner, body) VALUES
          ('key:${keys.alice.id}', 'alice 1'), ('key:${keys.alice.id}', 'alice 2'), ('key:${keys.bob.id}', 'bob 1'), ('someone-else', 'hidden');
        ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
        CREATE ROLE ${role} LOGIN NOSUPERUSER NOBYPASSRLS;
        GRANT SELECT ON notes TO ${role};
        CREATE POLICY own_notes ON notes FOR SELECT TO ${role} USING (owner = current_setting('toolport.caller', true));`);
    } finally {
      await admin.end();
    }
    await app.toolport.runtime.dataSourceWrites.create('admin-token', { id: 'notes_db', url: '${secret:NOTES_DB_URL}' });
    const created = await rest('POST', '/tools', ADMIN_TOKEN, {
      name: 'my_notes',
      description: "The caller's own notes",
      handler: 'sql',
      config: { source: 'notes_db', statement: 'select body from notes order by id' },
    });
    expect(created.status, await created.clone().text()).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
    await target?.drop();
    // The role outlives databases: dropped once the database holding its grants is gone.
    const cluster = postgres(TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    await cluster.unsafe(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await cluster.end();
  });

  const notesOf = async (token: string) => {
    const response = await rest('POST', '/tools/call', token, { name: 'my_notes', arguments: {} });
    const body = await json(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.isError, JSON.stringify(body)).toBeFalsy();
    return body.structuredContent.rows.map((row: { body: string }) => row.body);
  };

  it('one tool, two keys: each sees the rows its actor owns (key:<id> is toolport.caller); a third key sees none', async () => {
    expect(await notesOf(keys.alice.key)).toEqual(['alice 1', 'alice 2']);
    expect(await notesOf(keys.bob.key)).toEqual(['bob 1']);
    expect(await notesOf(keys.none.key)).toEqual([]);
    // The admin token's actor is `admin-token`: no row of the table is its own.
    expect(await notesOf(ADMIN_TOKEN)).toEqual([]);
  });

  it('the audit log has each call under its key, and the data source written as its reference only', async () => {
    await app.toolport.runtime.audit.flush();
    const calls = await db.database.query(`select actor, outcome from audit_log where action = 'call' and tool = 'my_notes' order by id`);
    expect(calls.rows).toEqual([
      { actor: `key:${keys.alice.id}`, outcome: 'ok' },
      { actor: `key:${keys.bob.id}`, outcome: 'ok' },
      { actor: `key:${keys.none.id}`, outcome: 'ok' },
      { actor: 'admin-token', outcome: 'ok' },
    ]);
    const source = await db.database.query(`select details from audit_log where action = 'source.create'`);
    expect(source.rows).toEqual([{ details: { source: 'notes_db', access: 'read_only', url: '${secret:NOTES_DB_URL}' } }]);
    const leaked = await db.database.query(`select count(*)::int as n from audit_log where details::text like '%postgres://%'`);
    expect(leaked.rows[0]!.n).toBe(0);
  });
});
