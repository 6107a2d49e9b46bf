import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer, connectModernAs, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { restClient } from './access-support.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const admin = bearer(ADMIN_TOKEN);

/** The servers table over REST, on every listener and the gateway. */
describe.each(backends)('/servers (%s)', (backend) => {
  // '*': servers created at runtime are served too (on their row's port, or the gateway).
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_GATEWAY_PORT: '0', TOOLPORT_CHANGE_POLL_MS: '50', TOOLPORT_SERVERS: 'finance:0,utility:0,*' });
  const { send } = restClient();

  it('lists and reads servers with their tool counts and an ETag', async () => {
    const listed = await send(`${t.app.urls.finance}/servers`, 'GET', undefined, admin);
    expect(listed.status).toBe(200);
    expect(listed.body.servers.map((server: { id: string }) => server.id)).toEqual(['finance', 'utility']);
    expect(listed.body.servers[0]).toMatchObject({ id: 'finance', toolPrefix: 'finance', compose: true, version: 1, tools: { total: 3 } });
    // Where this process serves it: TOOLPORT_SERVERS moved it off its row's port 3001.
    expect(listed.body.servers[0]).toMatchObject({ port: 3001, listeningPort: Number(new URL(t.app.urls.finance!).port) });
    const one = await send(`${t.app.gatewayUrl}/servers/utility`, 'GET', undefined, admin);
    expect(one.status).toBe(200);
    expect(one.body.listeningPort).toBe(Number(new URL(t.app.urls.utility!).port));
    expect(one.headers.get('etag')).toBe(`"${one.body.version}"`);
    expect((await send(`${t.app.gatewayUrl}/servers/nope`, 'GET', undefined, admin)).status).toBe(404);
  });

  it('POST creates a gateway-only server reachable at /<id>/mcp at once, without a restart; then one with its own port', async () => {
    const created = await send(`${t.app.gatewayUrl}/servers`, 'POST', { id: 'ops', name: 'Operations', description: 'Ops tools' }, admin);
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/servers/ops');
    expect(created.body).toMatchObject({ id: 'ops', port: null, enabled: true, compose: true, toolPrefix: 'ops', version: 1 });
    const tool = await send(`${t.app.gatewayUrl}/ops/tools`, 'POST', { name: 'ops_clock', description: 'Time', handler: 'get_time' }, admin);
    expect(tool.status).toBe(201);
    const client = await connectModernAs(`${t.app.gatewayUrl}/ops`, ADMIN_TOKEN);
    expect((await client.listTools()).tools.map((entry) => entry.name)).toEqual(['ops_clock']);
    await client.close();
    const listed = await send(`${t.app.gatewayUrl}/ops/tools`, 'GET', undefined, admin);
    expect(listed.body.tools.map((entry: { name: string }) => entry.name)).toEqual(['ops_clock']);

    const port = await freePort();
    const own = await send(`${t.app.urls.finance}/servers`, 'POST', { id: 'billing', port, compose: false }, admin);
    expect(own.status).toBe(201);
    expect(t.app.toolport.listeners.get('billing')?.port).toBe(port);
    expect((await send(`http://127.0.0.1:${port}/tools`, 'GET', undefined, admin)).status).toBe(200);

    const moved = await send(`${t.app.urls.finance}/servers/billing`, 'PATCH', { port: null }, { ...admin, 'if-match': `"${own.body.version}"` });
    expect(moved.status).toBe(200);
    expect(moved.body.version).toBe(own.body.version + 1);
    expect(t.app.toolport.listeners.has('billing')).toBe(false);
    expect((await send(`${t.app.gatewayUrl}/billing/tools`, 'GET', undefined, admin)).status).toBe(200);
    const removed = await send(`${t.app.urls.finance}/servers/billing`, 'DELETE', undefined, admin);
    expect(removed.body).toMatchObject({ deleted: true, id: 'billing', toolsDeleted: 0 });
  });

  it('refuses bad bodies naming the field, a taken id or port (409), a stale If-Match (412), deleting a server with tools without cascade', async () => {
    const url = `${t.app.urls.utility}/servers`;
    const cases: [unknown, string][] = [
      [{ id: 'bad id!' }, '/id'],
      [{ id: 'mcp' }, '/id'],
      [{ id: 'toolport' }, '/id'],
      [{ id: 'x1', port: 70000 }, '/port'],
      [{ id: 'x1', port: 'eighty' }, '/port'],
      [{ id: 'x1', toolPrefix: 'has space' }, '/toolPrefix'],
      [{ id: 'x1', rateLimit: 'lots' }, '/rateLimit'],
      [{ id: 'x1', colour: 'red' }, '/colour'],
      [{ id: 'x1', auth: { issuer: 'nope' } }, '/auth'],
    ];
    for (const [body, path] of cases) {
      const answer = await send(url, 'POST', body, admin);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.details.map((detail: { path: string }) => detail.path).join(' ')).toContain(path);
    }
    expect((await send(url, 'GET', undefined, admin)).body.servers.some((server: { id: string }) => server.id === 'x1')).toBe(false);

    const duplicate = await send(url, 'POST', { id: 'finance' }, admin);
    expect(duplicate.status).toBe(409);
    const financePort = t.app.toolport.runtime.registry.snapshot('finance')!.server.port;
    if (financePort !== null) {
      const taken = await send(url, 'POST', { id: 'x2', port: financePort }, admin);
      expect(taken.status).toBe(409);
      expect(taken.body.error.message).toContain('"finance"');
    }
    const stale = await send(`${url}/utility`, 'PATCH', { description: 'changed' }, { ...admin, 'if-match': '"999"' });
    expect(stale.status).toBe(412);
    const withTools = await send(`${url}/utility`, 'DELETE', undefined, admin);
    expect(withTools.status).toBe(409);
    expect(withTools.body.error.message).toMatch(/4 tools.*cascade=true/);
    expect((await send(`${url}/utility?cascade=maybe`, 'DELETE', undefined, admin)).status).toBe(400);
  });

  it('deletes a server with its tools under ?cascade=true', async () => {
    await send(`${t.app.gatewayUrl}/servers`, 'POST', { id: 'scratch' }, admin);
    await send(`${t.app.gatewayUrl}/scratch/tools`, 'POST', { name: 'a', description: 'a', handler: 'get_time' }, admin);
    const removed = await send(`${t.app.gatewayUrl}/servers/scratch?cascade=true`, 'DELETE', undefined, admin);
    expect(removed.body).toMatchObject({ deleted: true, toolsDeleted: 1 });
    const rows = await t.db.database.query(`select count(*)::int as n from tools where server_id = 'scratch'`);
    expect((rows as unknown as { rows: { n: number }[] }).rows?.[0]?.n ?? (rows as unknown as { n: number }[])[0]?.n).toBe(0);
    expect((await send(`${t.app.gatewayUrl}/scratch/tools`, 'GET', undefined, admin)).status).toBe(404);
  });

  it('refuses writes that would make composed names clash, at write time, naming them', async () => {
    // A tool named x_y on a server with prefix "p" is p_x_y; a server with prefix "p_x" and a tool "y" would be too.
    await send(`${t.app.gatewayUrl}/servers`, 'POST', { id: 'p' }, admin);
    expect((await send(`${t.app.gatewayUrl}/p/tools`, 'POST', { name: 'x_y', description: 'one', handler: 'get_time' }, admin)).status).toBe(201);
    await send(`${t.app.gatewayUrl}/servers`, 'POST', { id: 'q', toolPrefix: 'p_x' }, admin);
    const clash = await send(`${t.app.gatewayUrl}/q/tools`, 'POST', { name: 'y', description: 'two', handler: 'get_time' }, admin);
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toContain('"p_x_y"');
    expect(clash.body.error.message).toContain('p/x_y');
    // Not composed: no clash.
    expect((await send(`${t.app.gatewayUrl}/servers/q`, 'PATCH', { compose: false }, admin)).status).toBe(200);
    expect((await send(`${t.app.gatewayUrl}/q/tools`, 'POST', { name: 'y', description: 'two', handler: 'get_time' }, admin)).status).toBe(201);
    // Composing it again would clash.
    const back = await send(`${t.app.gatewayUrl}/servers/q`, 'PATCH', { compose: true }, admin);
    expect(back.status).toBe(409);
    expect(back.body.error.message).toContain('"p_x_y"');
    // A management tool's name.
    await send(`${t.app.gatewayUrl}/servers`, 'POST', { id: 'getter', toolPrefix: 'get' }, admin);
    const management = await send(`${t.app.gatewayUrl}/getter/tools`, 'POST', { name: 'server_info', description: 'x', handler: 'get_time' }, admin);
    expect(management.status).toBe(409);
    expect(management.body.error.message).toContain('get_server_info');
    for (const id of ['p', 'q', 'getter']) await send(`${t.app.gatewayUrl}/servers/${id}?cascade=true`, 'DELETE', undefined, admin);
  });

  it('audits every write, refused ones too', async () => {
    await send(`${t.app.gatewayUrl}/servers`, 'POST', { id: 'audited' }, admin);
    await send(`${t.app.gatewayUrl}/servers`, 'POST', { id: 'audited' }, admin);
    await send(`${t.app.gatewayUrl}/servers/audited`, 'PATCH', { description: 'now described' }, admin);
    await send(`${t.app.gatewayUrl}/servers/audited`, 'DELETE', undefined, admin);
    await t.app.toolport.access.audit.flush();
    const { entries } = await t.app.toolport.access.auditStore.list({ actor: 'admin-token', limit: 100 });
    const mine = entries.filter((entry) => entry.serverId === 'audited').map((entry) => `${entry.action}:${entry.outcome}`);
    expect(mine.sort()).toEqual(['server.create:conflict', 'server.create:ok', 'server.delete:ok', 'server.update:ok']);
  });

  it('needs the admin scope: no credential 401, a revoked key 401, a finance:write key 403 naming admin', async () => {
    expect((await send(`${t.app.gatewayUrl}/servers`)).status).toBe(401);
    expect((await send(`${t.app.urls.finance}/servers`, 'POST', { id: 'sneaky' })).status).toBe(401);
    const writer = await createKey(t.app, 'finance-writer', ['finance:write']);
    const refused = await send(`${t.app.urls.finance}/servers`, 'POST', { id: 'sneaky' }, bearer(writer.key));
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('"admin"');
    const revoked = await createKey(t.app, 'gone', ['admin']);
    await t.app.toolport.access.keys.revoke('admin-token', revoked.id);
    expect((await send(`${t.app.urls.finance}/servers`, 'GET', undefined, bearer(revoked.key))).status).toBe(401);
    const keyed = await createKey(t.app, 'server-admin', ['admin']);
    expect((await send(`${t.app.urls.finance}/servers`, 'GET', undefined, bearer(keyed.key))).status).toBe(200);
    expect((await send(`${t.app.urls.finance}/servers/sneaky`, 'GET', undefined, admin)).status).toBe(404);
  });
});
