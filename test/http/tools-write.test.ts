import { beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/tools`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe.each(backends)('REST registry writes (%s)', (backend) => {
  const t = useToolport(backend);
  let finance: string;
  let utility: string;
  beforeAll(() => {
    finance = t.app.urls.finance!;
    utility = t.app.urls.utility!;
  });

  it('registers a tool from the plain parameters body and calls it at once, on that port only', async () => {
    const response = await post(utility, {
      name: 'world_clock',
      description: 'Current time in a time zone',
      handler: 'get_time',
      parameters: [{ name: 'timezone', type: 'string', description: 'IANA zone', required: true }],
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/tools/world_clock');
    const tool = await json(response);
    expect(tool.inputSchema).toEqual({
      type: 'object',
      properties: { timezone: { type: 'string', description: 'IANA zone' } },
      required: ['timezone'],
    });
    expect(tool).toMatchObject({ available: true, version: 1, handler: 'get_time' });

    const listed = await json(await fetch(`${utility}/tools`));
    expect(listed.tools.map((t: any) => t.name)).toContain('world_clock');
    const called = await json(
      await fetch(`${utility}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'world_clock', arguments: { timezone: 'UTC' } }),
      }),
    );
    expect(called.structuredContent.utcOffset).toBe('+00:00');
    expect((await fetch(`${finance}/tools/world_clock`)).status).toBe(404);

    const missing = await json(
      await fetch(`${utility}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'world_clock', arguments: {} }),
      }),
    );
    expect(missing.error.code).toBe('bad_request');
    expect(missing.error.message).toMatch(/timezone/);
  });

  it('registers with a full inputSchema; unlisted properties are allowed (standard JSON Schema)', async () => {
    const response = await post(utility, {
      name: 'clock_strict',
      description: 'Time, strict schema',
      handler: 'get_time',
      inputSchema: { type: 'object', properties: { timezone: { type: 'string', minLength: 1 } }, required: ['timezone'] },
    });
    expect(response.status).toBe(201);
    const ok = await fetch(`${utility}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'clock_strict', arguments: { timezone: 'Europe/Paris', note: 'extra is fine' } }),
    });
    expect(ok.status).toBe(200);
  });

  it('the handler still parses arguments with its own schema when the tool schema is looser', async () => {
    await post(utility, { name: 'loose_clock', description: 'Loose schema', handler: 'get_time', inputSchema: { type: 'object' } });
    const response = await fetch(`${utility}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'loose_clock', arguments: { timezone: 12 } }),
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.details[0].path).toBe('/arguments/timezone');
  });

  it('refuses an unknown or misspelled JSON Schema keyword, with its name and path', async () => {
    const response = await post(utility, {
      name: 'typo_tool',
      description: 'x',
      handler: 'get_time',
      inputSchema: { type: 'object', properties: { timezone: { type: 'string' } }, requried: ['timezone'] },
    });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.details[0]).toMatchObject({ path: '/inputSchema/requried' });
    expect(body.error.message).toMatch(/requried/);
    expect((await fetch(`${utility}/tools/typo_tool`)).status).toBe(404);
  });

  it('refuses an unresolvable $ref and a non-object schema', async () => {
    const ref = await json(
      await post(utility, {
        name: 'ref_tool',
        description: 'x',
        handler: 'get_time',
        inputSchema: { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } },
      }),
    );
    expect(ref.error.details[0].path).toBe('/inputSchema/properties/a/$ref');
    const notObject = await json(await post(utility, { name: 'arr_tool', description: 'x', handler: 'get_time', inputSchema: { type: 'array' } }));
    expect(notObject.error.details[0].path).toBe('/inputSchema/type');
  });

  it('refuses a bad tool name, an unknown explicit handler (listing the available ones) and unknown fields', async () => {
    const badName = await json(await post(utility, { name: 'has space', description: 'x' }));
    expect(badName.error.details[0].path).toBe('/name');
    const badHandler = await json(await post(utility, { name: 'h_tool', description: 'x', handler: 'no_such_handler' }));
    expect(badHandler.error.details[0].path).toBe('/handler');
    expect(badHandler.error.availableHandlers).toContain('get_time');
    expect(badHandler.error.message).toMatch(/get_time/);
    const typo = await json(await post(utility, { name: 'f_tool', descripton: 'x' }));
    expect(typo.error.code).toBe('bad_request');
    const paramType = await json(await post(utility, { name: 'p_tool', description: 'x', parameters: [{ name: 'a', type: 'strng' }] }));
    expect(paramType.error.details[0].path).toBe('/parameters/0/type');
  });

  it('a tool without a handler of its name is stored, listed unavailable with the reason, and never callable', async () => {
    const response = await post(finance, { name: 'fx_rate', description: 'Exchange rate', parameters: [{ name: 'pair', type: 'string', required: true }] });
    expect(response.status).toBe(201);
    const tool = await json(response);
    expect(tool.available).toBe(false);
    expect(tool.reason).toMatch(/no handler "fx_rate"/);
    const call = await fetch(`${finance}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fx_rate', arguments: { pair: 'EURUSD' } }),
    });
    expect(call.status).toBe(503);
    expect((await json(call)).error).toMatchObject({ code: 'unavailable', reason: expect.stringMatching(/no handler/) });
    const rows = await t.db.database.query(`select handler from tools where server_id = 'finance' and name = 'fx_rate'`);
    expect(rows.rows).toEqual([{ handler: 'fx_rate' }]);
  });

  it('duplicate name → 409; 50 concurrent registrations of one name → one 201, the rest 409, one row', async () => {
    const body = { name: 'race_tool', description: 'raced', handler: 'get_time' };
    const statuses = await Promise.all(Array.from({ length: 50 }, () => post(utility, body).then((r) => r.status)));
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const rows = await t.db.database.query(`select count(*)::int as n from tools where server_id = 'utility' and name = 'race_tool'`);
    expect(rows.rows[0]!.n).toBe(1);
    const again = await json(await post(utility, body));
    expect(again.error).toMatchObject({ code: 'conflict', details: [{ path: '/name', message: 'already exists' }] });
  });

  it('PUT replaces, PATCH changes some fields; each bumps the version', async () => {
    await post(utility, { name: 'edit_me', description: 'v1', handler: 'get_time' });
    const put = await fetch(`${utility}/tools/edit_me`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'v2', handler: 'text_analyzer' }),
    });
    expect(put.status).toBe(200);
    const replaced = await json(put);
    expect(replaced).toMatchObject({ description: 'v2', handler: 'text_analyzer', version: 2 });
    expect(replaced.inputSchema.properties).toHaveProperty('text');

    const patch = await fetch(`${utility}/tools/edit_me`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Edited' }),
    });
    const patched = await json(patch);
    expect(patched).toMatchObject({ title: 'Edited', description: 'v2', version: 3 });
    expect(patch.headers.get('etag')).toBe('"3"');

    const rename = await fetch(`${utility}/tools/edit_me`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'other', description: 'x' }),
    });
    expect(rename.status).toBe(400);
    const badPatch = await json(
      await fetch(`${utility}/tools/edit_me`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled: 'yes' }) }),
    );
    expect(badPatch.error.details[0].path).toBe('/enabled');
    expect((await json(await fetch(`${utility}/tools/edit_me`))).version).toBe(3);
  });

  it('disabling a tool makes it uncallable; If-Match with a stale version → 412', async () => {
    await post(utility, { name: 'toggle_me', description: 'x', handler: 'get_time' });
    const off = await json(
      await fetch(`${utility}/tools/toggle_me`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'if-match': '"1"' },
        body: JSON.stringify({ enabled: false }),
      }),
    );
    expect(off).toMatchObject({ enabled: false, available: false, reason: 'disabled' });
    expect(
      (await fetch(`${utility}/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'toggle_me' }) }))
        .status,
    ).toBe(503);
    const stale = await fetch(`${utility}/tools/toggle_me`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ enabled: true }),
    });
    expect(stale.status).toBe(412);
    expect((await json(stale)).error.code).toBe('precondition_failed');
  });

  it('concurrent PATCHes never lose an acknowledged update', async () => {
    await post(utility, { name: 'patched_often', description: 'x', handler: 'get_time', annotations: {} });
    const fields = ['title', 'description'] as const;
    const responses = await Promise.all(
      fields.map((field) =>
        fetch(`${utility}/tools/patched_often`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ [field]: `set-${field}` }),
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    const final = await json(await fetch(`${utility}/tools/patched_often`));
    expect(final).toMatchObject({ title: 'set-title', description: 'set-description', version: 3 });
  });

  it('DELETE removes the tool everywhere; deleting again → 404', async () => {
    await post(utility, { name: 'delete_me', description: 'x', handler: 'get_time' });
    const response = await fetch(`${utility}/tools/delete_me`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ deleted: true, name: 'delete_me' });
    expect((await fetch(`${utility}/tools/delete_me`)).status).toBe(404);
    expect((await fetch(`${utility}/tools/delete_me`, { method: 'DELETE' })).status).toBe(404);
    const rows = await t.db.database.query(`select count(*)::int as n from tools where name = 'delete_me'`);
    expect(rows.rows[0]!.n).toBe(0);
  });
});
