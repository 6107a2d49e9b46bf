import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { ADMIN_TOKEN, bearer, connectLegacyAs, connectModernAs, createKey, KEYED_ENV } from './access-support.ts';
import { countLegacyChanges, countModernChanges, INITIALIZE, postMcp, QUIET_MS, sleep } from './support.ts';

/** 2025-era sessions belong to the caller that opened them; change notifications reach only callers who can see the change. */
describe.each(backends)('/mcp sessions and change notifications per caller (%s)', (backend) => {
  const t = useToolport(backend, KEYED_ENV);
  const finance = () => t.app.urls.finance!;
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await Promise.all(closers.map((close) => close().catch(() => {})));
  });

  const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };

  async function openSession(key: string): Promise<string> {
    const response = await postMcp(finance(), INITIALIZE, bearer(key));
    expect(response.status).toBe(200);
    await response.body?.cancel();
    const id = response.headers.get('mcp-session-id');
    expect(id).toBeTruthy();
    const initialized = await postMcp(
      finance(),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { ...bearer(key), 'mcp-session-id': id!, 'mcp-protocol-version': '2025-11-25' },
    );
    expect(initialized.status).toBe(202);
    return id!;
  }

  it('a session opened with key A is "Session not found" for key B, exactly like an unknown id', async () => {
    // Same scopes, so the same visibility class and endpoint: only the actor tells them apart.
    const a = await createKey(t.app, 'owner', ['finance:call']);
    const b = await createKey(t.app, 'intruder', ['finance:call']);
    const session = await openSession(a.key);
    const headers = (key: string, id: string) => ({ ...bearer(key), 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' });

    const owner = await postMcp(finance(), LIST, headers(a.key, session));
    expect(owner.status).toBe(200);
    await owner.body?.cancel();

    const hijack = await postMcp(finance(), LIST, headers(b.key, session));
    const unknown = await postMcp(finance(), LIST, headers(b.key, '00000000-0000-4000-8000-000000000000'));
    expect(hijack.status).toBe(404);
    expect(unknown.status).toBe(404);
    const hijackBody = await hijack.json();
    expect(hijackBody).toEqual(await unknown.json());
    expect(hijackBody).toMatchObject({ error: { code: -32001, message: expect.stringMatching(/^Session not found/) } });
    // The admin token is another actor too; GET (the notification stream) and DELETE are refused alike.
    expect((await postMcp(finance(), LIST, headers(ADMIN_TOKEN, session))).status).toBe(404);
    expect((await fetch(`${finance()}/mcp`, { headers: { ...headers(b.key, session), accept: 'text/event-stream' } })).status).toBe(404);
    expect((await fetch(`${finance()}/mcp`, { method: 'DELETE', headers: headers(b.key, session) })).status).toBe(404);

    // The refused attempts ended nothing: the owner's session still works.
    const still = await postMcp(finance(), LIST, headers(a.key, session));
    expect(still.status).toBe(200);
    expect(await still.text()).toContain('calculate_portfolio');
  });

  it('list_changed reaches a glob-scoped session only for tools it can see, in both eras', async () => {
    const glob = await createKey(t.app, 'glob', ['finance:call:get_*']);
    const everything = await createKey(t.app, 'everything', ['finance:call']);
    const modernGlob = await connectModernAs(finance(), glob.key);
    const modernAll = await connectModernAs(finance(), everything.key);
    const legacyGlob = await connectLegacyAs(finance(), glob.key);
    closers.push(
      () => modernGlob.close(),
      () => modernAll.close(),
      () => legacyGlob.client.close(),
    );
    const globChanges = countModernChanges(modernGlob);
    const allChanges = countModernChanges(modernAll);
    const legacyChanges = countLegacyChanges(legacyGlob.client);
    await Promise.all([modernGlob, modernAll].map((client) => client.listen({ toolsListChanged: true })));
    await sleep(100); // the v1 client opens its GET stream right after initialized

    const writes = t.app.toolport.runtime.writes;
    const create = (name: string) =>
      writes.create({ actor: 'admin-token', serverId: 'finance', body: { name, description: `test tool ${name}`, handler: 'get_time' } as never });

    // Outside the glob: only the caller who sees everything hears of it.
    await create('other_clock');
    await allChanges.reach(1);
    await sleep(QUIET_MS);
    expect(globChanges.count).toBe(0);
    expect(legacyChanges.count).toBe(0);

    // Inside the glob: everybody.
    await create('get_clock');
    await Promise.all([allChanges.reach(2), globChanges.reach(1), legacyChanges.reach(1)]);
    expect((await modernGlob.listTools()).tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['get_clock']));
    expect((await legacyGlob.client.listTools()).tools.map((tool) => tool.name)).not.toContain('other_clock');

    // Disabling works the same way.
    await writes.setEnabled({ actor: 'admin-token', serverId: 'finance', name: 'other_clock', enabled: false });
    await allChanges.reach(3);
    await sleep(QUIET_MS);
    expect(globChanges.count).toBe(1);
    expect(legacyChanges.count).toBe(1);
    await writes.setEnabled({ actor: 'admin-token', serverId: 'finance', name: 'get_clock', enabled: false });
    await Promise.all([allChanges.reach(4), globChanges.reach(2), legacyChanges.reach(2)]);
    expect((await modernGlob.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['get_financial_news', 'get_stock_price']);
  });
});
