import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer, connectModernAs, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { countModernChanges } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { restClient } from './access-support.ts';

const admin = bearer(ADMIN_TOKEN);

async function waitFor(check: () => Promise<boolean> | boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Revisions written by trigger (REST and SQL alike), diff, and rollback through the write service. */
describe.each(backends)('tool history (%s)', (backend) => {
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_CHANGE_POLL_MS: '50' });
  const { send, texts } = restClient();
  const base = () => t.app.urls.utility!;

  it('PATCH, a SQL edit and a rollback to version 1 make four versions with their actors; the diff names exactly the changed fields', async () => {
    const original = await send(`${base()}/tools/get_time`, 'GET', undefined, admin);
    expect(original.body.version).toBe(1);
    const patched = await send(`${base()}/tools/get_time`, 'PATCH', { description: 'Current time, patched' }, { ...admin, 'if-match': '"1"' });
    expect(patched.status).toBe(200);
    await t.db.database.query(`UPDATE tools SET description = 'Current time, edited in SQL' WHERE server_id = 'utility' AND name = 'get_time'`);
    await waitFor(async () => (await send(`${base()}/tools/get_time`, 'GET', undefined, admin)).body.version === 3, 'the SQL edit to reach the registry');

    const client = await connectModernAs(base(), ADMIN_TOKEN);
    const changes = countModernChanges(client);
    await client.listen({ toolsListChanged: true });

    const rolled = await send(`${base()}/tools/get_time/rollback`, 'POST', { version: 1 }, { ...admin, 'if-match': '"3"' });
    expect(rolled.status).toBe(200);
    expect(rolled.headers.get('etag')).toBe('"4"');
    expect(rolled.body).toMatchObject({ rolledBackTo: 1, restored: false, changed: ['description'], tool: { name: 'get_time', version: 4 } });
    expect(rolled.body.tool.description).toBe(original.body.description);
    expect((await client.listTools()).tools.find((tool) => tool.name === 'get_time')?.description).toBe(original.body.description);
    await changes.reach(1, 5000);
    await client.close();

    const listed = await send(`${base()}/tools/get_time/revisions`, 'GET', undefined, admin);
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBe(4);
    expect(
      listed.body.revisions.map((revision: { version: number; operation: string; actor: string; changed: string[] | null }) => [
        revision.version,
        revision.operation,
        revision.actor,
        revision.changed,
      ]),
    ).toEqual([
      [4, 'rollback', 'admin-token', ['description']],
      [3, 'update', expect.stringMatching(/^sql:/), ['description']],
      [2, 'update', 'admin-token', ['description']],
      [1, 'create', 'seed', null],
    ]);

    const diff = await send(`${base()}/tools/get_time/diff?from=1&to=3`, 'GET', undefined, admin);
    expect(diff.status).toBe(200);
    expect(diff.body.changed).toEqual(['description']);
    expect(diff.body.patch).toEqual([{ op: 'replace', path: '/description', value: 'Current time, edited in SQL' }]);
    expect(diff.body.diff).toContain('--- get_time@1');
    expect(diff.body.diff).toContain('+  "description": "Current time, edited in SQL",');
    expect((await send(`${base()}/tools/get_time/diff?from=1&to=4`, 'GET', undefined, admin)).body.patch).toEqual([]);

    const one = await send(`${base()}/tools/get_time/revisions/3`, 'GET', undefined, admin);
    expect(one.body).toMatchObject({
      server: 'utility',
      name: 'get_time',
      version: 3,
      operation: 'update',
      definition: { description: 'Current time, edited in SQL', handler: 'get_time' },
    });
  });

  it('pages newest first with a cursor', async () => {
    for (const text of ['one', 'two', 'three']) await send(`${base()}/tools/get_weather`, 'PATCH', { description: `Weather ${text}` }, admin);
    const first = await send(`${base()}/tools/get_weather/revisions?limit=2`, 'GET', undefined, admin);
    expect(first.body.revisions.map((revision: { version: number }) => revision.version)).toEqual([4, 3]);
    expect(first.body.total).toBe(4);
    const second = await send(`${base()}/tools/get_weather/revisions?limit=2&cursor=${first.body.nextCursor}`, 'GET', undefined, admin);
    expect(second.body.revisions.map((revision: { version: number }) => revision.version)).toEqual([2, 1]);
    expect(second.body.nextCursor).toBeUndefined();
  });

  it('a deleted tool keeps its history; a rollback restores it (201) as a new version, and a re-created name continues the versions', async () => {
    const created = await send(`${base()}/tools`, 'POST', { name: 'clock_copy', description: 'A clock', handler: 'get_time' }, admin);
    expect(created.status).toBe(201);
    const deleted = await send(`${base()}/tools/clock_copy`, 'DELETE', undefined, admin);
    expect(deleted.status).toBe(200);
    expect((await send(`${base()}/tools/clock_copy`, 'GET', undefined, admin)).status).toBe(404);
    const history = await send(`${base()}/tools/clock_copy/revisions`, 'GET', undefined, admin);
    expect(history.body.revisions.map((revision: { version: number; operation: string }) => [revision.version, revision.operation])).toEqual([
      [2, 'delete'],
      [1, 'create'],
    ]);
    expect((await send(`${base()}/tools/clock_copy/rollback`, 'POST', { version: 1 }, { ...admin, 'if-match': '"1"' })).status).toBe(412);
    const restored = await send(`${base()}/tools/clock_copy/rollback`, 'POST', { version: 1 }, { ...admin, 'if-match': '"2"' });
    expect(restored.status).toBe(201);
    expect(restored.body).toMatchObject({ restored: true, tool: { name: 'clock_copy', version: 3, description: 'A clock' } });
    expect((await send(`${base()}/tools/clock_copy`, 'GET', undefined, admin)).body.version).toBe(3);

    await send(`${base()}/tools/clock_copy`, 'DELETE', undefined, admin);
    const again = await send(`${base()}/tools`, 'POST', { name: 'clock_copy', description: 'A new clock', handler: 'get_time' }, admin);
    expect(again.body.version).toBe(5);
    const all = await send(`${base()}/tools/clock_copy/revisions`, 'GET', undefined, admin);
    expect(all.body.revisions.map((revision: { version: number; operation: string }) => `${revision.version}:${revision.operation}`)).toEqual([
      '5:create',
      '4:delete',
      '3:rollback',
      '2:delete',
      '1:create',
    ]);
  });

  it('refuses bad input naming the field, unknown versions and tools (404), a stale If-Match (412), and a version that cannot be restored now', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/tools/get_time/revisions/abc', undefined, 400, '/path/version'],
      ['GET', '/tools/get_time/revisions/0', undefined, 400, '/path/version'],
      ['GET', '/tools/get_time/revisions?limit=0', undefined, 400, '/query/limit'],
      ['GET', '/tools/get_time/revisions?cursor=%21%21', undefined, 400, '/query/cursor'],
      ['GET', '/tools/get_time/diff?from=1', undefined, 400, '/query/to'],
      ['GET', '/tools/get_time/diff?from=x&to=2', undefined, 400, '/query/from'],
      ['POST', '/tools/get_time/rollback', { version: 'one' }, 400, '/version'],
      ['POST', '/tools/get_time/rollback', {}, 400, '/version'],
      ['POST', '/tools/get_time/rollback', { version: 1, extra: true }, 400, '/extra'],
    ];
    for (const [method, path, body, status, field] of cases) {
      const answer = await send(`${base()}${path}`, method, body, admin);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(JSON.stringify(answer.body.error.details ?? []), `${method} ${path}`).toContain(field);
    }
    expect((await send(`${base()}/tools/get_time/revisions/999`, 'GET', undefined, admin)).body.error.message).toMatch(/has no version 999/);
    expect((await send(`${base()}/tools/never_was/revisions`, 'GET', undefined, admin)).status).toBe(404);
    expect((await send(`${base()}/tools/never_was/rollback`, 'POST', { version: 1 }, admin)).status).toBe(404);
    expect((await send(`${base()}/tools/get_time/rollback`, 'POST', { version: 99 }, admin)).status).toBe(404);
    expect((await send(`${base()}/tools/get_time/rollback`, 'POST', { version: 1 }, { ...admin, 'if-match': '"1"' })).status).toBe(412);

    await send(`${base()}/tools`, 'POST', { name: 'fragile', description: 'Fragile', handler: 'get_time' }, admin);
    await t.db.database.query(`UPDATE tools SET handler = 'no_such_handler' WHERE server_id = 'utility' AND name = 'fragile'`);
    const refused = await send(`${base()}/tools/fragile/rollback`, 'POST', { version: 2 }, admin);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/Version 2 of "fragile" cannot be restored as it is: Invalid handler/);
    expect(refused.body.error.details[0].path).toBe('/handler');
    // Nothing was written: still version 2.
    expect((await send(`${base()}/tools/fragile/revisions`, 'GET', undefined, admin)).body.total).toBe(2);
    const back = await send(`${base()}/tools/fragile/rollback`, 'POST', { version: 1 }, admin);
    expect(back.body.tool).toMatchObject({ version: 3, handler: 'get_time' });
    expect((await send(`${base()}/health`)).status).toBe(200);
  });

  it('needs a credential; reads need the tool in scope, rollback the write scope; revoked and wrong keys are refused', async () => {
    const url = `${base()}/tools/get_time/revisions`;
    expect((await send(url)).status).toBe(401);
    expect((await send(url, 'GET', undefined, bearer('tp_wrong_key_0123456789'))).status).toBe(401);
    const reader = await createKey(t.app, 'history-reader', ['utility:list']);
    expect((await send(url, 'GET', undefined, bearer(reader.key))).status).toBe(200);
    expect((await send(`${base()}/tools/get_time/diff?from=1&to=2`, 'GET', undefined, bearer(reader.key))).status).toBe(200);
    const rollback = await send(`${base()}/tools/get_time/rollback`, 'POST', { version: 1 }, bearer(reader.key));
    expect(rollback.status).toBe(403);
    expect(rollback.body.error.message).toMatch(/utility:write/);
    const narrow = await createKey(t.app, 'weather-only', ['utility:list:get_weather']);
    const hidden = await send(url, 'GET', undefined, bearer(narrow.key));
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.message).toBe('No tool named "get_time" on server "utility"');
    const other = await createKey(t.app, 'finance-only', ['finance:write']);
    expect((await send(url, 'GET', undefined, bearer(other.key))).status).toBe(403);
    expect((await send(`${base()}/tools/get_time/rollback`, 'POST', { version: 1 }, bearer(other.key))).status).toBe(403);
    const writer = await createKey(t.app, 'utility-writer', ['utility:write']);
    expect((await send(`${base()}/tools/get_time/rollback`, 'POST', { version: 2 }, bearer(writer.key))).status).toBe(200);
    await t.app.toolport.access.keys.revoke('admin-token', writer.id);
    expect((await send(`${base()}/tools/get_time/rollback`, 'POST', { version: 1 }, bearer(writer.key))).status).toBe(401);
    const rolled = (await send(`${base()}/tools/get_time/revisions?limit=1`, 'GET', undefined, admin)).body.revisions[0];
    expect(rolled.actor).toBe(writer.actor);
    // No answer carried a key.
    expect(texts.join('\n')).not.toContain(writer.key);
  });
});
