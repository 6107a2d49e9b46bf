// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { json, useToolport } from '../support/toolport.ts';
import { startUpstreamServer, type UpstreamServer } from './upstream-server.ts';

/** A stdio upstream (an SDK v1 server Toolport starts), stdio refused unless allowed, and failover within a prefix. */
const STDIO_SERVER = fileURLToPath(new URL('./stdio-upstream.mjs', import.meta.url));

function helpers(base: () => string) {
  const post = (path: string, body: unknown) =>
    fetch(`${base()}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const response = await post('/tools/call', { name, arguments: args });
    return { status: response.status, body: await json(response) };
  };
  const names = async () => ((await json(await fetch(`${base()}/tools`))).tools as { name: string }[]).map((tool) => tool.name);
  return { post, call, names };
}

/**
 * Toolport on PGlite with the call timeout given, and two upstream servers
 * started before the tests and closed after them. `servers` is theirs, in
 * order: a test that replaces one (restarted on its port) puts the new one
 * in its place, so that one is closed instead.
 */
function withTwoUpstreams(callTimeoutMs: number) {
  const t = useToolport('pglite', { TOOLPORT_CALL_TIMEOUT_MS: String(callTimeoutMs) });
  const servers: UpstreamServer[] = [];
  beforeAll(async () => {
    servers.push(...(await Promise.all([startUpstreamServer(), startUpstreamServer()])));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });
  return { t, servers, ...helpers(() => t.app.urls.utility!) };
}

describe('stdio upstreams', () => {
  const t = useToolport('pglite', { TOOLPORT_UPSTREAM_STDIO: '1', TOOLPORT_SECRET_STDIO_TOKEN: 'stdio-secret-value' });
  const { post, call, names } = helpers(() => t.app.urls.utility!);

  it('an SDK v1 stdio server started by Toolport: its tools synced, env secrets resolved, never shown', async () => {
    const created = await post('/upstreams', {
      id: 'local',
      server: 'utility',
      transport: 'stdio',
      command: process.execPath,
      args: [STDIO_SERVER],
      env: { STDIO_UPSTREAM_TOKEN: '${secret:STDIO_TOKEN}' },
    });
    const body = await json(created);
    expect(created.status, JSON.stringify(body)).toBe(201);
    expect(JSON.stringify(body)).not.toContain('stdio-secret-value');
    await within(10_000, async () => ((await names()).includes('local_greet') ? true : undefined), 'local_greet');
    expect((await call('local_greet', { name: 'Ada' })).body.content[0].text).toBe('hello Ada');
    expect((await call('local_whoami')).body.content[0].text).toBe('token received');
    const status = await json(await fetch(`${t.app.urls.utility}/upstreams/local`));
    expect(status.status).toMatchObject({ connection: 'connected', protocolVersion: expect.stringMatching(/^2025-/) });
  }, 30_000);
});

describe('stdio upstreams are off by default', () => {
  const t = useToolport('pglite');
  const { post, call } = helpers(() => t.app.urls.utility!);

  it('a stdio row is kept but not run, and says how to allow it', async () => {
    const created = await post('/upstreams', { id: 'local', server: 'utility', command: process.execPath, args: [STDIO_SERVER] });
    expect(created.status).toBe(201);
    const status = await json(await fetch(`${t.app.urls.utility}/upstreams/local`));
    expect(status.status).toMatchObject({ connection: 'disabled', lastError: expect.stringMatching(/TOOLPORT_UPSTREAM_STDIO=1/) });
    // No tools synced, so nothing to call.
    expect((await call('local_greet', { name: 'x' })).status).toBe(404);
  });
});

describe('failover within a prefix', () => {
  const { servers, post, call, names } = withTwoUpstreams(3000);

  it('calls go to the best priority; with it gone, to the next one; the tools stay', async () => {
    const [primary, backup] = servers as [UpstreamServer, UpstreamServer];
    expect((await post('/upstreams', { id: 'primary', server: 'utility', url: primary.url, prefix: 'calc', priority: 0 })).status).toBe(201);
    expect((await post('/upstreams', { id: 'backup', server: 'utility', url: backup.url, prefix: 'calc', priority: 10 })).status).toBe(201);
    await within(3000, async () => ((await names()).includes('calc_sum') ? true : undefined), 'calc_sum');
    for (let i = 0; i < 3; i++) expect((await call('calc_sum', { a: 1, b: i })).status).toBe(200);
    expect(primary.calls.filter((name) => name === 'sum')).toHaveLength(3);
    expect(backup.calls).toHaveLength(0);

    await primary.close();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await call('calc_sum', { a: 2, b: i })).status);
    expect(answers).toEqual([200, 200, 200, 200, 200]);
    expect(backup.calls.filter((name) => name === 'sum').length).toBeGreaterThanOrEqual(5);
    expect(await names()).toContain('calc_sum');
  });
});

describe('round-robin and per-call retries', () => {
  const { t, servers, post, call, names } = withTwoUpstreams(5000);

  it('members of one priority take turns', async () => {
    const [one, two] = servers as [UpstreamServer, UpstreamServer];
    expect((await post('/upstreams', { id: 'one', server: 'utility', url: one.url, prefix: 'rr' })).status).toBe(201);
    expect((await post('/upstreams', { id: 'two', server: 'utility', url: two.url, prefix: 'rr' })).status).toBe(201);
    await within(3000, async () => ((await names()).includes('rr_sum') ? true : undefined), 'rr_sum');
    await within(
      3000,
      async () => {
        const statuses = (await json(await fetch(`${t.app.urls.utility}/upstreams`))).upstreams.map(
          (u: { status: { connection: string } }) => u.status.connection,
        );
        return statuses.join() === 'connected,connected' ? true : undefined;
      },
      'both connected',
    );
    for (let i = 0; i < 6; i++) expect((await call('rr_sum', { a: 1, b: i })).status).toBe(200);
    expect(one.calls.filter((name) => name === 'sum')).toHaveLength(3);
    expect(two.calls.filter((name) => name === 'sum')).toHaveLength(3);
    for (const id of ['one', 'two']) await fetch(`${t.app.urls.utility}/upstreams/${id}`, { method: 'DELETE' });
  });

  it('a call whose connection was lost is retried once the upstream is back (maxRetries), within the call time', async () => {
    const one = servers[0]!;
    const port = one.port;
    expect((await post('/upstreams', { id: 'solo', server: 'utility', url: one.url, maxRetries: 4, healthIntervalMs: 600_000 })).status).toBe(201);
    await within(3000, async () => ((await names()).includes('solo_sum') ? true : undefined), 'solo_sum');
    expect((await call('solo_sum', { a: 1, b: 1 })).status).toBe(200);
    // Gone while Toolport still holds it as connected (no ping for ten minutes); back 100 ms later, on the same port.
    await one.close();
    const back = new Promise<UpstreamServer>((resolve) => setTimeout(() => resolve(startUpstreamServer(port)), 100));
    const answer = await call('solo_sum', { a: 2, b: 3 });
    servers[0] = await back;
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.structuredContent).toEqual({ sum: 5 });
    const solo = await json(await fetch(`${t.app.urls.utility}/upstreams/solo`));
    expect(solo.status.retries).toBeGreaterThanOrEqual(1);
  });
});

describe('upstream health checks', () => {
  const t = useToolport('pglite');
  const { post, names } = helpers(() => t.app.urls.utility!);
  let upstream: UpstreamServer;
  beforeAll(async () => {
    upstream = await startUpstreamServer();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('a 2026-07-28 upstream stays connected across health checks (server/discover: that era has no ping)', async () => {
    expect((await post('/upstreams', { id: 'steady', server: 'utility', url: upstream.url, healthIntervalMs: 100 })).status).toBe(201);
    await within(3000, async () => ((await names()).includes('steady_sum') ? true : undefined), 'steady_sum');
    await new Promise((resolve) => setTimeout(resolve, 800));
    const { status } = await json(await fetch(`${t.app.urls.utility}/upstreams/steady`));
    expect(status).toMatchObject({ connection: 'connected', breaker: 'closed', protocolVersion: '2026-07-28', consecutiveFailures: 0 });
    expect(status.lastError ?? null).toBeNull();
  });

  it('a server an upstream feeds is deleted only with ?cascade=true, and takes the upstream and its tools along; SQL cannot orphan one', async () => {
    const admin = { 'content-type': 'application/json' };
    const base = t.app.urls.utility!;
    expect((await post('/servers', { id: 'fed', port: null })).status).toBe(201);
    expect((await post('/upstreams', { id: 'feeder', server: 'fed', url: upstream.url })).status).toBe(201);
    await within(
      3000,
      async () => {
        const { rows } = await t.db.database.query("select count(*)::int as n from tools where server_id = 'fed'");
        return (rows[0] as { n: number }).n === 4 ? true : undefined;
      },
      'feeder tools synced',
    );
    const refused = await fetch(`${base}/servers/fed`, { method: 'DELETE', headers: admin });
    expect(refused.status).toBe(409);
    expect((await json(refused)).error.message).toMatch(/upstream "feeder" feeding it.*cascade=true/);
    expect((await fetch(`${base}/upstreams/feeder`)).status).toBe(200);

    const removed = await fetch(`${base}/servers/fed?cascade=true`, { method: 'DELETE', headers: admin });
    expect(removed.status).toBe(200);
    expect(await json(removed)).toMatchObject({ deleted: true, toolsDeleted: 4, upstreamsDeleted: ['feeder'] });
    expect((await t.db.database.query("select id from upstreams where id = 'feeder'")).rows).toEqual([]);
    await within(3000, async () => ((await fetch(`${base}/upstreams/feeder`)).status === 404 ? true : undefined), 'feeder gone here');
    await expect(
      t.db.database.query(
        "insert into upstreams (id, server_id, transport, url, prefix) values ('orphan', 'no-such-server', 'streamable-http', 'http://127.0.0.1:1/mcp', 'orphan')",
      ),
    ).rejects.toThrow(/foreign key/);
  });
});
