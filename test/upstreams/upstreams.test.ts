// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { connectModern, countModernChanges } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';
import { startUpstreamServer, type UpstreamServer } from './upstream-server.ts';

/**
 * Tools of other MCP servers (issue 17): a real SDK v2 server on 127.0.0.1
 * is added with one POST /upstreams; its tools appear as mcp-proxy rows,
 * calls go through with the upstream's own results, and its death and
 * return are survived without touching Toolport.
 */
const TOKEN = 'upstream-token-5f4e3d2c1b';

describe.each(backends)('upstream MCP servers (%s)', (backend) => {
  let upstream: UpstreamServer;
  const t = useToolport(backend, { TOOLPORT_SECRET_UPSTREAM_TOKEN: TOKEN, TOOLPORT_CALL_TIMEOUT_MS: '3000', TOOLPORT_METRICS_OPEN: '1' });
  const metricLine = async (name: string) =>
    (await (await fetch(`${base()}/metrics`)).text()).split('\n').find((line) => line.startsWith(name) && line.includes('upstream="demo"'));
  const base = () => t.app.urls.utility!;
  const post = (path: string, body: unknown, method = 'POST') =>
    fetch(`${base()}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const response = await post('/tools/call', { name, arguments: args });
    return { status: response.status, body: await json(response) };
  };
  const toolNames = async () => ((await json(await fetch(`${base()}/tools`))).tools as { name: string }[]).map((tool) => tool.name);

  beforeAll(async () => {
    upstream = await startUpstreamServer();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('refuses a definition that cannot work, naming the field, and a literal credential', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ id: 'x', server: 'utility' }, '/url', /required for the streamable-http transport/],
      [{ id: 'x', server: 'utility', url: 'ftp://h/mcp' }, '/url', /http/],
      [{ id: 'x', server: 'utility', url: 'http://u:pw@127.0.0.1/mcp' }, '/url', /password/],
      [{ id: 'x', server: 'utility', url: upstream.url, headers: { authorization: 'Bearer abc123' } }, '/headers', /credential.*reference/],
      [{ id: 'Bad Id', server: 'utility', url: upstream.url }, '/id', /a–z/],
      [{ id: 'x', server: 'utility', url: upstream.url, retries: 3 }, '/retries', /not a field of an upstream/],
      [{ id: 'x', server: 'nowhere', url: upstream.url }, '/server', /no server "nowhere"/],
    ];
    for (const [body, path, message] of cases) {
      const response = await post('/upstreams', body);
      const answer = await json(response);
      expect(response.status, JSON.stringify(answer)).toBe(400);
      expect(answer.error.details[0]).toMatchObject({ path, message: expect.stringMatching(message) });
      expect(JSON.stringify(answer)).not.toContain('abc123');
    }
    expect((await json(await fetch(`${base()}/upstreams`))).count).toBe(0);
  });

  it('one POST makes its tools appear, prefixed, in GET /tools and in an MCP client, within a second', async () => {
    const client = await connectModern(base());
    const changes = countModernChanges(client);
    await client.listen({ toolsListChanged: true });
    const started = Date.now();
    const created = await post('/upstreams', {
      id: 'demo',
      server: 'utility',
      url: upstream.url,
      headers: { authorization: 'Bearer ${secret:UPSTREAM_TOKEN}' },
    });
    const body = await json(created);
    expect(created.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ id: 'demo', server: 'utility', prefix: 'demo', headers: { authorization: 'Bearer ${secret:UPSTREAM_TOKEN}' } });
    expect(JSON.stringify(body)).not.toContain(TOKEN);
    await within(1000, async () => ((await toolNames()).includes('demo_sum') ? true : undefined), 'demo_sum in GET /tools');
    console.info(`upstreams: POST /upstreams → tools in GET /tools in ${Date.now() - started} ms`);
    expect(await toolNames()).toEqual(expect.arrayContaining(['demo_echo', 'demo_pixel', 'demo_sum', 'demo_slow']));
    await changes.reach(1);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('demo_echo');
    await client.close();
    const status = await json(await fetch(`${base()}/upstreams/demo`));
    expect(status.status).toMatchObject({ connection: 'connected', breaker: 'closed', tools: 4, toolsSelected: 4 });
    const health = await json(await fetch(`${base()}/health`));
    expect(health.upstreams).toEqual([{ id: 'demo', server: 'utility', connection: 'connected', breaker: 'closed', consecutiveFailures: 0 }]);
    expect(await metricLine('toolport_upstream_up')).toBe('toolport_upstream_up{upstream="demo",server="utility"} 1');
    expect(JSON.stringify(health)).not.toContain(TOKEN);
  });

  it('calls come back as the upstream answered: text, image, structured content', async () => {
    const echo = await call('demo_echo', { text: 'hello upstream' });
    expect(echo.status).toBe(200);
    expect(echo.body.content).toEqual([{ type: 'text', text: 'hello upstream' }]);
    const pixel = await call('demo_pixel');
    expect(pixel.body.content[0]).toMatchObject({ type: 'image', mimeType: 'image/png' });
    const sum = await call('demo_sum', { a: 2, b: 40 });
    expect(sum.body.structuredContent).toEqual({ sum: 42 });
    // Toolport checks the arguments first, against the synced schema: the upstream never sees this one.
    const before = upstream.calls.length;
    const bad = await call('demo_sum', { a: 'two' });
    expect(bad.status).toBe(400);
    expect(upstream.calls.length).toBe(before);
  });

  it('a tool the upstream adds appears; one it drops is disabled with the reason, not deleted', async () => {
    upstream.addTool('fresh');
    await within(2000, async () => ((await toolNames()).includes('demo_fresh') ? true : undefined), 'demo_fresh appears');
    expect((await call('demo_fresh')).body.content[0].text).toBe('ran fresh');
    upstream.removeTool('fresh');
    await within(2000, async () => {
      const row = await json(await fetch(`${base()}/tools/demo_fresh`));
      return row.enabled === false ? row : undefined;
    });
    const { rows } = await t.db.database.query("select enabled, handler_config from tools where name = 'demo_fresh'");
    expect(rows[0]).toMatchObject({
      enabled: false,
      handler_config: { upstream: 'demo', tool: 'fresh', dropped: expect.stringMatching(/not listed by upstream "demo"/) },
    });
  });

  it('a slow upstream call hits the timeout without delaying other tools', async () => {
    const slow = call('demo_slow', { ms: 10_000 });
    const started = Date.now();
    const other = await call('get_time', {});
    expect(other.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    const answer = await slow;
    expect(answer.status).toBeGreaterThanOrEqual(400);
  });

  it('killed, calls fail fast naming the upstream; restarted on its port, calls work again untouched', async () => {
    const port = upstream.port;
    await upstream.close();
    // The first failures are the ones that notice; then the breaker or the reconnect answer at once.
    for (let i = 0; i < 4; i++) await call('demo_echo', { text: 'x' });
    const started = performance.now();
    const failed = await call('demo_echo', { text: 'x' });
    const ms = performance.now() - started;
    console.info(`upstreams: a call to a dead upstream failed in ${ms.toFixed(1)} ms: ${failed.body.error?.message}`);
    expect(failed.status).toBe(503);
    expect(failed.body.error.message).toMatch(/upstream|"demo"/);
    expect(ms).toBeLessThan(200);
    expect(await metricLine('toolport_upstream_up')).toBe('toolport_upstream_up{upstream="demo",server="utility"} 0');
    const health = await json(await fetch(`${base()}/health`));
    expect(health.status).toBe('ok'); // a vendor's outage does not take this process out of a load balancer
    expect(health.upstreams[0]).toMatchObject({ id: 'demo', connection: expect.stringMatching(/down|connecting/) });
    upstream = await startUpstreamServer(port);
    await within(15_000, async () => ((await call('demo_echo', { text: 'back' })).status === 200 ? true : undefined), 'calls work again');
    expect(await metricLine('toolport_upstream_breaker_state{upstream="demo",state="closed"}')).toMatch(/ 1$/);
  }, 30_000);

  it('removing the upstream removes its tools', async () => {
    const removed = await fetch(`${base()}/upstreams/demo`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    await within(2000, async () => (!(await toolNames()).some((name) => name.startsWith('demo_')) ? true : undefined), 'demo_* gone');
    const { rows } = await t.db.database.query("select count(*)::int as n from tools where handler = 'mcp-proxy'");
    expect(rows[0]).toEqual({ n: 0 });
  });
});
