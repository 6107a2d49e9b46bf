// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';
import { sendJson, startUpstream, type Upstream } from './http-kind-upstream.ts';

// What goes wrong with http tools: refused registrations, unset secrets, retries and backoff, timeouts, oversized
// answers, upstream 5xx and dropped connections, and an address outside the allow-list — each with a clear message
// that never carries a secret.

const TOKEN = 'tok-9d8c7b6a5f4e3d2c';
const empty = { type: 'object', properties: {} };

function helpers(base: () => string) {
  const register = async (body: Record<string, unknown>) => {
    const response = await fetch(`${base()}/tools`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await json(response) };
  };
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const response = await fetch(`${base()}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, arguments: args }),
    });
    return { status: response.status, body: await json(response) };
  };
  return { register, call };
}

describe.each(backends)('http tools: refusals and failures (%s)', (backend) => {
  const logs: string[] = [];
  let upstream: Upstream;
  const t = useToolport(
    backend,
    { TOOLPORT_HTTP_ALLOW: '127.0.0.1/32', TOOLPORT_SECRET_BILLING_TOKEN: TOKEN, TOOLPORT_CALL_TIMEOUT_MS: '5000' },
    { logger: createLogger('debug', (line) => logs.push(line)) },
  );
  const { register, call } = helpers(() => t.app.urls.utility!);
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(() => upstream?.close());

  const tool = (name: string, config: Record<string, unknown>, inputSchema: Record<string, unknown> = empty) =>
    register({ name, description: `http tool ${name}`, handler: 'http', inputSchema, config });

  describe('registration refuses a config that cannot work, naming the field', () => {
    it.each([
      ['an unknown key', { url: 'http://127.0.0.1/x', retries: 3 }, empty, '/config/retries', /not a known field/],
      ['an unknown retry key', { url: 'http://127.0.0.1/x', retry: { attempts: 2, jitter: true } }, empty, '/config/retry/jitter', /not a known field/],
      ['a bad select', { url: 'http://127.0.0.1/x', select: 'items[?' }, empty, '/config/select', /not a valid JMESPath expression/],
      ['a placeholder without a property', { url: 'http://127.0.0.1/orders/{order_id}' }, empty, '/config/url', /\{order_id\}.*input_schema/],
      [
        'a GET argument that goes nowhere',
        { url: 'http://127.0.0.1/orders', query: ['status'] },
        { type: 'object', properties: { status: { type: 'string' }, limit: { type: 'integer' } } },
        '/config/body',
        /"limit" goes nowhere/,
      ],
      ['a placeholder in the host', { url: 'http://{host}/x' }, { type: 'object', properties: { host: { type: 'string' } } }, '/config/url', /host/],
      ['a body on GET', { url: 'http://127.0.0.1/x', body: 'arguments' }, empty, '/config/body', /GET request has no body/],
      ['timeoutMs above the call timeout', { url: 'http://127.0.0.1/x', timeoutMs: 60_000 }, empty, '/config/timeoutMs', /at most 5000/],
      [
        'a malformed secret reference',
        { url: 'http://127.0.0.1/x', headers: { authorization: 'Bearer ${secret:bad-name}' } },
        empty,
        '/config/headers/authorization',
        /not a secret reference/,
      ],
      ['a secret in the URL', { url: 'http://127.0.0.1/x?key=${secret:BILLING_TOKEN}' }, empty, '/config/url', /secret/],
      ['a missing url', { method: 'GET' }, empty, '/config/url', /.+/],
    ])('%s → 400 naming the field', async (_what, config, inputSchema, path, message) => {
      const { status, body } = await tool('refused_tool', config, inputSchema);
      expect(status, JSON.stringify(body)).toBe(400);
      const detail = body.error.details.find((d: { path: string }) => d.path === path);
      expect(detail, JSON.stringify(body.error.details)).toBeDefined();
      expect(detail.message).toMatch(message);
      expect((await fetch(`${t.app.urls.utility}/tools/refused_tool`)).status).toBe(404);
    });

    it('a row written in SQL that breaks the same rules is unavailable with the reason', async () => {
      await t.db.database.query(
        `INSERT INTO tools (server_id, name, description, input_schema, handler, handler_config)
         VALUES ('utility', 'sql_broken', 'x', '{"type":"object","properties":{}}', 'http', '{"url":"http://127.0.0.1/{nope}"}')`,
      );
      await t.app.toolport.runtime.registry.loadServer('utility');
      const view = await json(await fetch(`${t.app.urls.utility}/tools/sql_broken`));
      expect(view.available).toBe(false);
      expect(view.reason).toMatch(/^handler_config: \/handler_config\/url placeholder \{nope\}/);
    });
  });

  it('a reference to an unset secret is accepted at write time and makes the tool unavailable with the reason', async () => {
    const { status, body } = await tool('needs_secret', { url: `${upstream.url}/x`, headers: { authorization: 'Bearer ${secret:MISSING_TOKEN}' } });
    expect(status).toBe(201);
    expect(body.available).toBe(false);
    expect(body.reason).toBe('handler_config: secret MISSING_TOKEN is not set (TOOLPORT_SECRET_MISSING_TOKEN)');
    const called = await call('needs_secret');
    expect(called.status).toBe(503);
    expect(called.body.error.message).toContain('secret MISSING_TOKEN is not set (TOOLPORT_SECRET_MISSING_TOKEN)');
  });

  it('retries 503 with backoff up to attempts, then fails with the status (handler_failed), secrets redacted from the message', async () => {
    upstream.route('/flaky', (request, response) => sendJson(response, 503, { error: 'down', auth: request.headers.authorization }));
    await tool('flaky', {
      url: `${upstream.url}/flaky`,
      headers: { authorization: `Bearer \${secret:BILLING_TOKEN}` },
      retry: { attempts: 3, backoffMs: 40, maxBackoffMs: 40 },
    });
    const { status, body } = await call('flaky');
    expect(status).toBe(502);
    expect(body.error.code).toBe('handler_failed');
    expect(body.error.message).toMatch(/503 Service Unavailable \(after 3 attempts\)/);
    expect(body.error.message).toContain('Bearer [redacted]');
    expect(body.error.message).not.toContain(TOKEN);
    expect(upstream.seenAt('/flaky')).toHaveLength(3);
    // The failed call's log line carries the request id of the answer (and no secret).
    const line = logs.map((text) => JSON.parse(text)).find((entry) => entry.msg === 'call failed' && entry.tool === 'flaky');
    expect(line).toMatchObject({ level: 'warn', code: 'handler_failed', requestId: body.error.requestId });
    expect(body.error.requestId).toEqual(expect.any(String));
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('a 503 that recovers is retried until it succeeds', async () => {
    let count = 0;
    upstream.route('/recovers', (_request, response) => (++count < 3 ? sendJson(response, 503, { error: 'busy' }) : sendJson(response, 200, { ok: true })));
    await tool('recovers', { url: `${upstream.url}/recovers`, retry: { attempts: 4, backoffMs: 10 } });
    const { status, body } = await call('recovers');
    expect(status).toBe(200);
    expect(body.structuredContent).toEqual({ ok: true });
    expect(upstream.seenAt('/recovers')).toHaveLength(3);
  });

  it('honours Retry-After on 429, in seconds and as an HTTP date', async () => {
    const routes = { '/limited-s': () => '1', '/limited-d': () => new Date(Date.now() + 2000).toUTCString() };
    for (const [path, after] of Object.entries(routes)) {
      let count = 0;
      upstream.route(path, (_request, response) =>
        ++count === 1 ? sendJson(response, 429, { error: 'slow down' }, { 'retry-after': after() }) : sendJson(response, 200, { ok: true }),
      );
      await tool(`limited_${path.at(-1)}`, { url: `${upstream.url}${path}`, retry: { attempts: 2, backoffMs: 1 } });
      const { status, body } = await call(`limited_${path.at(-1)}`);
      expect(status).toBe(200);
      expect(body.structuredContent).toEqual({ ok: true });
      const [first, second] = upstream.seenAt(path);
      // Backoff alone would have waited ≤ 1 ms; an HTTP date has whole seconds, so ≥ 1 s remains of its 2 s.
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
    }
  });

  it('a Retry-After beyond the time budget is not waited for: the 429 is returned at once, as an isError result', async () => {
    upstream.route('/limited-long', (_request, response) => sendJson(response, 429, { error: 'come back tomorrow' }, { 'retry-after': '3600' }));
    await tool('limited_long', { url: `${upstream.url}/limited-long`, retry: { attempts: 3 } });
    const started = Date.now();
    const { status, body } = await call('limited_long');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(status).toBe(200);
    expect(body.isError).toBe(true);
    expect(body.content[0].text).toMatch(/429 Too Many Requests \(Retry-After: 3600\)/);
    expect(upstream.seenAt('/limited-long')).toHaveLength(1);
  });

  it('POST is not retried unless retry.unsafe is set', async () => {
    upstream.route('/post-flaky', (_request, response) => sendJson(response, 503, { error: 'down' }));
    upstream.route('/post-unsafe', (_request, response) => sendJson(response, 503, { error: 'down' }));
    const retry = { attempts: 3, backoffMs: 5 };
    await tool('post_flaky', { method: 'POST', url: `${upstream.url}/post-flaky`, retry });
    await tool('post_unsafe', { method: 'POST', url: `${upstream.url}/post-unsafe`, retry: { ...retry, unsafe: true } });
    expect((await call('post_flaky')).status).toBe(502);
    expect((await call('post_unsafe')).status).toBe(502);
    expect(upstream.seenAt('/post-flaky')).toHaveLength(1);
    expect(upstream.seenAt('/post-unsafe')).toHaveLength(3);
  });

  it('a dropped connection is a network error: retried, then handler_failed', async () => {
    // No answer at all: the socket is destroyed once the request has arrived.
    upstream.route('/drops', (_request, response) => response.socket?.destroy());
    await tool('drops', { url: `${upstream.url}/drops`, retry: { attempts: 2, backoffMs: 5 } });
    const { status, body } = await call('drops');
    expect(status).toBe(502);
    expect(body.error.code).toBe('handler_failed');
    expect(body.error.message).toMatch(/network/);
    expect(body.error.message).toMatch(/after 2 attempts/);
    expect(upstream.seenAt('/drops')).toHaveLength(2);
  });

  it('an upstream slower than timeoutMs is a timeout (504) at about timeoutMs', async () => {
    upstream.route('/slow', (_request, response) => {
      const timer = setTimeout(() => sendJson(response, 200, { late: true }), 3000);
      response.on('close', () => clearTimeout(timer));
    });
    await tool('slow', { url: `${upstream.url}/slow`, timeoutMs: 300 });
    const started = Date.now();
    const { status, body } = await call('slow');
    const took = Date.now() - started;
    expect(status).toBe(504);
    expect(body.error.code).toBe('timeout');
    expect(body.error.message).toMatch(/within 300 ms/);
    expect(took).toBeGreaterThanOrEqual(280);
    expect(took).toBeLessThan(1500);
  });

  it('a response over maxResponseBytes fails with the limit, streamed or declared', async () => {
    upstream.route('/big', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`{"data":"${'x'.repeat(3000)}`);
      response.end(`${'y'.repeat(3000)}"}`);
    });
    // One end() with the whole body: Node declares its content-length, so the client refuses before reading.
    upstream.route('/big-declared', (_request, response) => sendJson(response, 200, { data: 'z'.repeat(5000) }));
    await tool('big', { url: `${upstream.url}/big`, maxResponseBytes: 1000 });
    await tool('big_declared', { url: `${upstream.url}/big-declared`, maxResponseBytes: 1000 });
    for (const name of ['big', 'big_declared']) {
      const { status, body } = await call(name);
      expect(status).toBe(502);
      expect(body.error.code).toBe('handler_failed');
      expect(body.error.message).toMatch(/larger than 1000 bytes/);
      expect(body.error.message).toMatch(/maxResponseBytes/);
    }
  });

  it('no secret value reaches the log', () => {
    expect(logs.join('\n')).not.toContain(TOKEN);
  });
});

describe.each(backends)('http tools without TOOLPORT_HTTP_ALLOW (%s)', (backend) => {
  let upstream: Upstream;
  const t = useToolport(backend, {});
  const { register, call } = helpers(() => t.app.urls.utility!);
  beforeAll(async () => {
    upstream = await startUpstream();
    upstream.route('/x', (_request, response) => sendJson(response, 200, { reached: true }));
  });
  afterAll(() => upstream?.close());

  it('a tool pointing at 127.0.0.1 is refused before connecting, naming the address class and TOOLPORT_HTTP_ALLOW', async () => {
    expect((await register({ name: 'local_api', description: 'x', handler: 'http', inputSchema: empty, config: { url: `${upstream.url}/x` } })).status).toBe(
      201,
    );
    const { status, body } = await call('local_api');
    expect(status).toBe(502);
    expect(body.error.code).toBe('handler_failed');
    expect(body.error.message).toMatch(/refused/);
    expect(body.error.message).toMatch(/loopback/);
    expect(body.error.message).toContain('TOOLPORT_HTTP_ALLOW');
    expect(upstream.seen).toHaveLength(0);
  });
});
