// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { ADMIN_TOKEN, bearer, REQUIRED_ENV, restClient, TINY_OPENAPI } from './access-support.ts';

/** An error body without what differs per answer (its request id and time): two answers that say the same compare equal. */
const sameShape = (text: string) => text.replace(/"requestId":"[^"]*","timestamp":"[^"]*"/, '"requestId":…,"timestamp":…');

/**
 * What a valid credential may do on REST, against a real Toolport with
 * TOOLPORT_AUTH=required: list-only keys cannot call (403 naming
 * finance:call), a tool glob hides the rest (absent from lists and counts;
 * GET and calls answer exactly like an unknown tool), `write` writes its
 * server's tools but not another's nor /keys or /data-sources, `admin`
 * everything, and a key's rate limit is a 429 with Retry-After.
 */
describe.each(backends)('REST access: scopes (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let finance: string;
  let utility: string;
  const { send } = restClient();
  const keys: Record<string, string> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db, REQUIRED_ENV);
    finance = app.urls.finance!;
    utility = app.urls.utility!;
    for (const [name, scopes, rate] of [
      ['lister', ['finance:list']],
      ['globbed', ['finance:call:get_*']],
      ['writer', ['finance:write']],
      ['admin', ['admin']],
      ['limited', ['finance:call'], '2/min'],
    ] as [string, string[], string?][]) {
      const created = await app.toolport.access.keys.create('admin-token', { name, scopes, ...(rate ? { rate } : {}) });
      keys[name] = created.key;
      ids[name] = created.id;
    }
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
  });

  const callOf = (base: string, name: string, args: Record<string, unknown>, key: string, extra: Record<string, string> = {}) =>
    send(`${base}/tools/call`, 'POST', { name, arguments: args }, { ...bearer(key), ...extra });

  it('a list-only key lists and reads, and calling is a 403 naming finance:call', async () => {
    const list = await send(`${finance}/tools`, 'GET', undefined, bearer(keys.lister));
    expect(list.status).toBe(200);
    expect(list.body.tools.map((tool: { name: string }) => tool.name)).toEqual(['calculate_portfolio', 'get_financial_news', 'get_stock_price']);
    expect((await send(`${finance}/tools/get_stock_price`, 'GET', undefined, bearer(keys.lister))).status).toBe(200);
    const call = await callOf(finance, 'get_stock_price', { symbol: 'AAPL' }, keys.lister!);
    expect(call.status).toBe(403);
    expect(call.body.error).toMatchObject({ code: 'forbidden', scope: 'finance:call', server: 'finance' });
    expect(call.body.error.message).toContain('"finance:call"');
    expect(call.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="finance:call"');
    // The refusal is audited under the key, with the request id.
    await app.toolport.access.audit.flush();
    const entries = (await app.toolport.access.auditStore.list({ actor: `key:${ids.lister}`, limit: 10 })).entries;
    expect(entries[0]).toMatchObject({ action: 'call', outcome: 'forbidden', tool: 'get_stock_price', requestId: call.headers.get('x-request-id') });
  });

  it('a tool glob: only matching tools in lists, counts and /info; any other answers exactly like an unknown tool', async () => {
    const auth = bearer(keys.globbed);
    const list = await send(`${finance}/tools?limit=all`, 'GET', undefined, auth);
    expect(list.body).toMatchObject({ server: 'finance', count: 2 });
    expect(list.body.tools.map((tool: { name: string }) => tool.name)).toEqual(['get_financial_news', 'get_stock_price']);
    const paged = await send(`${finance}/tools?limit=1`, 'GET', undefined, auth);
    expect(paged.body.count).toBe(2);
    const info = await send(`${finance}/info`, 'GET', undefined, auth);
    expect(info.body.tools).toMatchObject({ count: 2, names: ['get_financial_news', 'get_stock_price'] });

    const hidden = await send(`${finance}/tools/calculate_portfolio`, 'GET', undefined, auth);
    const unknown = await send(`${finance}/tools/calculate_portfolia`, 'GET', undefined, auth);
    expect(hidden.status).toBe(404);
    expect(hidden.status).toBe(unknown.status);
    expect(sameShape(hidden.text.replace('calculate_portfolio', 'NAME'))).toBe(sameShape(unknown.text.replace('calculate_portfolia', 'NAME')));

    const hiddenCall = await callOf(finance, 'calculate_portfolio', { holdings: [] }, keys.globbed!);
    const unknownCall = await callOf(finance, 'calculate_portfolia', { holdings: [] }, keys.globbed!);
    expect(hiddenCall.status).toBe(404);
    expect(hiddenCall.status).toBe(unknownCall.status);
    expect(sameShape(hiddenCall.text.replace('calculate_portfolio', 'NAME'))).toBe(sameShape(unknownCall.text.replace('calculate_portfolia', 'NAME')));
    expect((await callOf(finance, 'get_stock_price', { symbol: 'AAPL' }, keys.globbed!)).status).toBe(200);
    // The admin sees all three.
    expect((await send(`${finance}/info`, 'GET', undefined, bearer(ADMIN_TOKEN))).body.tools.count).toBe(3);
  });

  it("write: its server's tools (create, patch, delete, import, packs) as key:<id> — not calls, not another server, not /keys or /data-sources", async () => {
    const auth = bearer(keys.writer);
    const created = await send(`${finance}/tools`, 'POST', { name: 'writer_tool', description: 'by the writer', handler: 'get_time' }, auth);
    expect(created.status).toBe(201);
    expect((await send(`${finance}/tools/writer_tool`, 'PATCH', { description: 'patched' }, { ...auth, 'if-match': '"1"' })).status).toBe(200);
    expect((await send(`${finance}/tools/import/openapi`, 'POST', { document: TINY_OPENAPI, dryRun: true }, auth)).status).toBe(200);
    const pack = await send(`${finance}/tools/packs/database`, 'POST', { source: 'samples', mode: 'user_ro', prefix: 'writer' }, auth);
    expect(pack.status, pack.text).toBe(201);
    expect((await send(`${finance}/tools/writer_tool`, 'DELETE', undefined, auth)).status).toBe(200);
    const actors = await db.database.query(`select distinct actor from registry_changes where table_name = 'tools' and name = 'writer_tool'`);
    expect(actors.rows).toEqual([{ actor: `key:${ids.writer}` }]);
    // The audit entry names the key, its name and the request.
    await app.toolport.access.audit.flush();
    const audited = (await app.toolport.access.auditStore.list({ actor: `key:${ids.writer}`, action: 'create', limit: 10 })).entries;
    expect(audited.find((entry) => entry.tool === 'writer_tool')).toMatchObject({
      actorName: 'writer',
      requestId: created.headers.get('x-request-id'),
      outcome: 'ok',
    });

    // write does not imply call.
    const call = await callOf(finance, 'get_stock_price', { symbol: 'AAPL' }, keys.writer!);
    expect(call.status).toBe(403);
    expect(call.body.error.scope).toBe('finance:call');
    // Another server: on its own listener, and named in a pack body on this one.
    const other = await send(`${utility}/tools`, 'POST', { name: 'writer_tool', description: 'x', handler: 'get_time' }, auth);
    expect(other.status).toBe(403);
    expect(other.body.error.scope).toBe('utility:write');
    const otherPack = await send(`${finance}/tools/packs/database`, 'POST', { server: 'utility', source: 'samples', mode: 'user_ro', prefix: 'sneaky' }, auth);
    expect(otherPack.status).toBe(403);
    expect(otherPack.body.error.scope).toBe('utility:write');
    expect(otherPack.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="utility:write"');
    const sneaky = await db.database.query(
      `select count(*)::int as n from tools where server_id = 'utility' and (name like 'sneaky%' or name = 'writer_tool')`,
    );
    expect(sneaky.rows[0]!.n).toBe(0);
    // Administration is admin's.
    for (const [method, path, body] of [
      ['GET', '/keys', undefined],
      ['POST', '/keys', { name: 'escalate', scopes: ['admin'] }],
      ['GET', '/data-sources', undefined],
      ['POST', '/data-sources', { id: 'escalate', url: '${secret:X_DB_URL}' }],
      ['GET', '/audit', undefined],
    ] as const) {
      const refused = await send(`${finance}${path}`, method, body, auth);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.body.error, `${method} ${path}`).toMatchObject({ code: 'forbidden', scope: 'admin' });
      expect(refused.body.error.message).toContain('(writer)');
      expect(refused.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="admin"');
    }
    expect((await app.toolport.access.keys.list()).some((key) => key.name === 'escalate')).toBe(false);
  });

  it('a list-only key cannot write (403 naming finance:write), and the attempt is audited once as access.denied', async () => {
    const refused = await send(`${finance}/tools/get_stock_price`, 'DELETE', undefined, bearer(keys.lister));
    expect(refused.status).toBe(403);
    expect(refused.body.error.scope).toBe('finance:write');
    await app.toolport.access.audit.flush();
    const denied = (await app.toolport.access.auditStore.list({ actor: `key:${ids.lister}`, action: 'access.denied', limit: 10 })).entries;
    const mine = denied.filter((entry) => entry.requestId === refused.headers.get('x-request-id'));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      actorName: 'lister',
      serverId: 'finance',
      outcome: 'forbidden',
      details: { method: 'DELETE', path: '/tools/get_stock_price', scope: 'finance:write' },
    });
    // A call the guard refused is its `call` entry, not also an access.denied one.
    const call = await callOf(finance, 'get_stock_price', { symbol: 'AAPL' }, keys.lister!);
    expect(call.status).toBe(403);
    await app.toolport.access.audit.flush();
    const forCall = (await app.toolport.access.auditStore.list({ actor: `key:${ids.lister}`, limit: 50 })).entries.filter(
      (entry) => entry.requestId === call.headers.get('x-request-id'),
    );
    expect(forCall.map((entry) => [entry.action, entry.outcome])).toEqual([['call', 'forbidden']]);
  });

  it('admin: every server, /keys, /data-sources, /audit', async () => {
    const auth = bearer(keys.admin);
    expect((await send(`${utility}/tools`, 'POST', { name: 'admin_tool', description: 'x', handler: 'get_time' }, auth)).status).toBe(201);
    expect((await callOf(utility, 'get_time', { timezone: 'UTC' }, keys.admin!)).status).toBe(200);
    expect((await send(`${finance}/keys`, 'GET', undefined, auth)).status).toBe(200);
    expect((await send(`${finance}/data-sources`, 'GET', undefined, auth)).status).toBe(200);
    const audit = await send(`${finance}/audit?actor=key:${ids.admin}`, 'GET', undefined, auth);
    expect(audit.status).toBe(200);
    expect(audit.body.entries.some((entry: { action: string; tool: string }) => entry.action === 'call' && entry.tool === 'get_time')).toBe(true);
  });

  it("a key's rate limit: 429 rate_limited with Retry-After and the delay in the body", async () => {
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await callOf(finance, 'get_stock_price', { symbol: 'AAPL' }, keys.limited!));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    const limited = answers[2]!;
    expect(limited.body.error).toMatchObject({ code: 'rate_limited', limit: '2/min', server: 'finance' });
    expect(limited.body.error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('retry-after')).toBe(String(limited.body.error.retryAfterSeconds));
    expect(limited.body.error.message).toMatch(/^Too many requests: this API key's rate limit of 2\/min is used up; retry in \d+ s$/);
  });
});
