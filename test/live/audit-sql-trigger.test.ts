import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../src/db/audit-store.ts';
import { RegistryStore } from '../../src/db/registry-store.ts';
import { AuditLog } from '../../src/observability/audit-queue.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Edits of `tools` made directly in SQL are audited by trigger as
 * sql:<role>, with the versions before and after; a write that sets
 * toolport.actor (the write service) is skipped by the trigger, because the
 * service audits it itself — so it appears exactly once.
 */

const TOOL = (name: string) =>
  `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('utility', '${name}', 'Added in SQL', '{"type":"object"}', 'get_time')`;

async function auditRows(db: TestDatabase, tool: string) {
  const result = await db.database.query(
    `select actor, actor_name, server_id, tool, action, outcome, version_before, version_after, details, request_id, arguments_digest
       from audit_log where tool = $1 order by id`,
    [tool],
  );
  return result.rows;
}

describe.each(backends)('the SQL-edit audit trigger (%s)', (backend) => {
  let db: TestDatabase;
  let role: string;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    role = `audit_editor_${randomBytes(4).toString('hex')}`;
    await db.database.query(`INSERT INTO servers (id, name) VALUES ('utility', 'Utility')`);
  });
  afterAll(async () => {
    await db?.database.query(`DROP OWNED BY ${role}`).catch(() => {});
    await db?.database.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await db?.dispose();
  });

  it('INSERT, UPDATE and DELETE in SQL are recorded as sql:<role> with versions before and after and the changed columns', async () => {
    const [{ user }] = (await db.database.query(`select current_user::text as user`)).rows as [{ user: string }];
    await db.database.query(TOOL('sql_clock'));
    await db.database.query(`UPDATE tools SET description = 'Edited in psql', title = 'Clock' WHERE name = 'sql_clock'`);
    await db.database.query(`UPDATE tools SET enabled = false WHERE name = 'sql_clock'`);
    await db.database.query(`UPDATE tools SET enabled = true WHERE name = 'sql_clock'`);
    await db.database.query(`DELETE FROM tools WHERE name = 'sql_clock'`);
    const rows = await auditRows(db, 'sql_clock');
    const common = { actor: `sql:${user}`, actor_name: user, server_id: 'utility', tool: 'sql_clock', outcome: 'ok', request_id: null, arguments_digest: null };
    expect(rows).toEqual([
      { ...common, action: 'create', version_before: null, version_after: 1, details: { source: 'sql' } },
      { ...common, action: 'update', version_before: 1, version_after: 2, details: { source: 'sql', changed: ['description', 'title'] } },
      { ...common, action: 'disable', version_before: 2, version_after: 3, details: { source: 'sql', changed: ['enabled'] } },
      { ...common, action: 'enable', version_before: 3, version_after: 4, details: { source: 'sql', changed: ['enabled'] } },
      { ...common, action: 'delete', version_before: 4, version_after: null, details: { source: 'sql' } },
    ]);
  });

  it('a rename records the new name with the previous one in details', async () => {
    await db.database.query(TOOL('old_name'));
    await db.database.query(`UPDATE tools SET name = 'new_name' WHERE name = 'old_name'`);
    const [row] = await auditRows(db, 'new_name');
    expect(row).toMatchObject({ action: 'update', details: { changed: ['name'], previous: { server_id: 'utility', tool: 'old_name' } } });
  });

  it('the actor is the role that made the edit (SET ROLE inside a transaction)', async () => {
    await db.database.query(TOOL('role_edit'));
    await db.database.query(`CREATE ROLE ${role} NOLOGIN`);
    await db.database.query(`GRANT SELECT, UPDATE ON tools TO ${role}`);
    // The change-log trigger inserts … RETURNING id (needs SELECT); the audit trigger only inserts.
    await db.database.query(`GRANT SELECT, INSERT ON registry_changes TO ${role}`);
    await db.database.query(`GRANT INSERT ON audit_log TO ${role}`);
    // The revision trigger inserts the new version (a create also reads the history for its next version).
    await db.database.query(`GRANT SELECT, INSERT ON tool_revisions TO ${role}`);
    await db.database.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    await db.database.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${role}`);
      await tx.query(`UPDATE tools SET description = 'By a role' WHERE name = 'role_edit'`);
    });
    const rows = await auditRows(db, 'role_edit');
    expect(rows.at(-1)).toMatchObject({ actor: `sql:${role}`, actor_name: role, action: 'update', version_before: 1, version_after: 2 });
    const revisions = await db.database.query(`SELECT version, operation, actor FROM tool_revisions WHERE name = 'role_edit' ORDER BY version`);
    expect(revisions.rows).toEqual([
      { version: 1, operation: 'create', actor: expect.stringMatching(/^sql:/) },
      { version: 2, operation: 'update', actor: `sql:${role}` },
    ]);
  });

  it('a write with toolport.actor set (the write service) is not recorded by the trigger: the service audits it, once', async () => {
    const registry = new RegistryStore(db.database.db);
    const audit = new AuditLog({ store: new AuditStore(db.database), logger: silentLogger, storeArguments: false, retentionDays: 30 });
    const row = await registry.transaction('admin-token', (store) =>
      store.insertToolIfMissing('utility', {
        name: 'service_tool',
        title: null,
        description: 'Through the write service',
        inputSchema: { type: 'object' },
        outputSchema: null,
        handler: 'get_time',
        handlerConfig: {},
        annotations: {},
        enabled: true,
      }),
    );
    expect(row?.version).toBe(1);
    audit.record({ action: 'create', actor: 'admin-token', requestId: 'req-1', serverId: 'utility', tool: 'service_tool', outcome: 'ok', versionAfter: 1 });
    // A raw transaction that sets the actor, as data-source writes do: skipped too.
    await db.database.transaction(async (tx) => {
      await tx.query(`SELECT set_config('toolport.actor', 'key:abc', true)`);
      await tx.query(`UPDATE tools SET description = 'Edited by a key' WHERE name = 'service_tool'`);
    });
    audit.record({
      action: 'update',
      actor: 'key:abc',
      requestId: 'req-2',
      serverId: 'utility',
      tool: 'service_tool',
      outcome: 'ok',
      versionBefore: 1,
      versionAfter: 2,
    });
    await audit.stop();
    const rows = await auditRows(db, 'service_tool');
    expect(rows.map((item) => [item.actor, item.action, item.request_id, item.version_before, item.version_after])).toEqual([
      ['admin-token', 'create', 'req-1', null, 1],
      ['key:abc', 'update', 'req-2', 1, 2],
    ]);
    // The change log still names the actor for both.
    const changes = await db.database.query(`select actor from registry_changes where name = 'service_tool' order by id`);
    expect(changes.rows).toEqual([{ actor: 'admin-token' }, { actor: 'key:abc' }]);
    // After that transaction the setting is empty again: the next plain SQL edit is audited.
    await db.database.query(`UPDATE tools SET description = 'Back in psql' WHERE name = 'service_tool'`);
    expect((await auditRows(db, 'service_tool')).at(-1)).toMatchObject({ actor: expect.stringMatching(/^sql:/), version_before: 2, version_after: 3 });
  });

  it('plain SQL answers "who changed this tool"', async () => {
    const result = await db.database.query(
      `select actor, count(*)::int as edits from audit_log where action in ('create', 'update', 'delete', 'enable', 'disable') group by 1 order by 1`,
    );
    expect(result.rows.length).toBeGreaterThan(0);
    const comments = await db.database.query(`select obj_description('audit_log'::regclass, 'pg_class') as comment`);
    expect(comments.rows[0]!.comment).toMatch(/who did what/);
  });
});
