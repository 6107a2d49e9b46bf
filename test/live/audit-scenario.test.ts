import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, connectModernAs } from '../mcp/access-support.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { json, type RunningToolport, startTestToolport } from '../support/toolport.ts';

/**
 * The audit log end to end: a real Toolport that asks every caller for a
 * credential; writes over REST with the admin token and with a write key
 * (create, patch, disable, enable, delete, an OpenAPI import, a refused
 * create), calls over REST and MCP with a call key, one edit made in SQL;
 * then a graceful stop — and audit_log, read by plain SQL, has every one of
 * them exactly once, with the right actor, action, outcome and versions.
 */

// Rows sorted by `at`: the trigger inserts at once, the service's entries come with the next flush (larger ids, earlier times).
const MINI_API = {
  openapi: '3.0.3',
  info: { title: 'Mini', version: '1.0.0' },
  servers: [{ url: 'http://127.0.0.1:9/api' }],
  paths: { '/ping': { get: { operationId: 'ping', summary: 'Ping', responses: { '200': { description: 'pong' } } } } },
};

describe.each(backends)('an audited scenario (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let base: string;
  let sqlRole: string;
  const keys: Record<'writer' | 'caller', { id: string; key: string }> = {} as never;

  const send = (method: string, path: string, token: string, requestId: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db, { TOOLPORT_AUTH: 'required', TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN, TOOLPORT_HTTP_ALLOW: '127.0.0.1' });
    base = app.urls.utility!;
    sqlRole = String((await db.database.query('select current_user::text as role')).rows[0]!.role);

    // Keys made over REST with the admin token.
    for (const [name, scopes] of [
      ['writer', ['utility:write', 'utility:call']],
      ['caller', ['utility:call']],
    ] as const) {
      const response = await send('POST', '/keys', ADMIN_TOKEN, `scn-key-${name}`, { name: `scenario-${name}`, scopes });
      expect(response.status).toBe(201);
      const created = await json(response);
      keys[name] = { id: created.id, key: created.key };
    }

    const expectStatus = async (response: Promise<Response>, status: number) => {
      const answer = await response;
      expect(answer.status, await answer.clone().text()).toBe(status);
    };
    const W = () => keys.writer.key;
    await expectStatus(send('POST', '/tools', W(), 'scn-create', { name: 'scenario_clock', description: 'A clock', handler: 'get_time' }), 201);
    await expectStatus(send('POST', '/tools', W(), 'scn-create-again', { name: 'scenario_clock', description: 'Twice', handler: 'get_time' }), 409);
    await expectStatus(send('PATCH', '/tools/scenario_clock', W(), 'scn-patch', { description: 'A better clock' }), 200);
    await expectStatus(send('PATCH', '/tools/scenario_clock', ADMIN_TOKEN, 'scn-disable', { enabled: false }), 200);
    await expectStatus(send('PATCH', '/tools/scenario_clock', W(), 'scn-enable', { enabled: true }), 200);
    // Calls: REST and MCP, with the call-only key.
    await expectStatus(send('POST', '/tools/call', keys.caller.key, 'scn-call-rest', { name: 'scenario_clock', arguments: {} }), 200);
    const client = await connectModernAs(base, keys.caller.key);
    try {
      const result = await client.callTool({ name: 'scenario_clock', arguments: {} });
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    // One edit made directly in SQL (version 4 → 5).
    await db.database.query(`UPDATE tools SET title = 'Edited in SQL' WHERE server_id = 'utility' AND name = 'scenario_clock'`);
    await expectStatus(send('DELETE', '/tools/scenario_clock', W(), 'scn-delete'), 200);
    await expectStatus(send('POST', '/tools/import/openapi', ADMIN_TOKEN, 'scn-import', { document: MINI_API }), 200);
    // Graceful stop: the queue is flushed after the listeners closed.
    await app.stop();
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
  });

  const rows = async (where: string, params: unknown[] = []) =>
    (
      await db.database.query(
        `select request_id, actor, actor_name, server_id, tool, action, outcome, version_before, version_after, details
           from audit_log where ${where} order by at, id`,
        params,
      )
    ).rows;

  it('every write appears exactly once, with its actor, action, outcome and versions', async () => {
    const writer = `key:${keys.writer.id}`;
    const scenario = await rows(`tool = 'scenario_clock' and action <> 'call'`);
    expect(scenario.map((row) => [row.request_id, row.actor, row.action, row.outcome, row.version_before, row.version_after])).toEqual([
      ['scn-create', writer, 'create', 'ok', null, 1],
      ['scn-create-again', writer, 'create', 'conflict', null, null],
      ['scn-patch', writer, 'update', 'ok', 1, 2],
      ['scn-disable', 'admin-token', 'disable', 'ok', 2, 3],
      ['scn-enable', writer, 'enable', 'ok', 3, 4],
      [null, `sql:${sqlRole}`, 'update', 'ok', 4, 5],
      ['scn-delete', writer, 'delete', 'ok', 5, null],
    ]);
    expect(scenario[0]!.actor_name).toBe('scenario-writer');
    expect(scenario[5]!.details).toEqual({ source: 'sql', changed: ['title'] });

    const keyRows = await rows(`action = 'key.create'`);
    expect(keyRows.map((row) => [row.actor, row.outcome, (row.details as { name: string }).name])).toEqual([
      ['admin-token', 'ok', 'scenario-writer'],
      ['admin-token', 'ok', 'scenario-caller'],
    ]);

    const imported = await rows(`action = 'import' and actor <> 'seed'`);
    expect(imported).toHaveLength(1);
    expect(imported[0]).toMatchObject({
      actor: 'admin-token',
      server_id: 'utility',
      outcome: 'ok',
      version_after: 1,
      details: expect.objectContaining({ operation: 'create' }),
    });
    // Seeding the empty registry is a batch too: one import entry per seeded tool, as `seed`.
    const seeded = await rows(`actor = 'seed'`);
    expect(seeded.length).toBe(Number((await db.database.query(`select count(*)::int as n from tools where name <> 'ping'`)).rows[0]!.n));
    expect(new Set(seeded.map((row) => row.action))).toEqual(new Set(['import']));
  });

  it('every call appears exactly once, as the calling key, REST and MCP alike', async () => {
    const calls = await rows(`action = 'call' and tool = 'scenario_clock'`);
    expect(calls).toHaveLength(2);
    for (const call of calls)
      expect(call).toMatchObject({ actor: `key:${keys.caller.id}`, actor_name: 'scenario-caller', server_id: 'utility', outcome: 'ok' });
    expect(calls.map((call) => call.request_id)).toContain('scn-call-rest');
    // No request id is recorded twice (the MCP call's id is its own).
    const twice = await db.database.query(`select request_id, count(*)::int as n from audit_log where request_id is not null group by 1 having count(*) > 1`);
    expect(twice.rows).toEqual([]);
  });
});
