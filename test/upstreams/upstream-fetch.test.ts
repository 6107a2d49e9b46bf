import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreamHttp } from '../../src/providers/upstreams/fetch.ts';

/**
 * The fetch the upstream links give the SDK transport (undici's request()):
 * what the transport relies on holds against a real node:http server —
 * request headers and body arrive, repeated response headers survive, a
 * redirect is handed back (the SDK follows same-origin ones itself), 202 has
 * no body, an event stream arrives event by event before it ends, and an
 * abort ends a request that hangs.
 */
describe('the upstream links’ fetch', () => {
  let server: Server;
  let base: string;
  const http = createUpstreamHttp();
  const seen: { method?: string; headers?: Record<string, unknown>; body?: string } = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/echo') {
          Object.assign(seen, { method: req.method, headers: req.headers, body });
          res.setHeader('set-cookie', ['a=1', 'b=2']);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ ok: true }));
        } else if (req.url === '/moved') {
          res.writeHead(307, { location: '/echo' }).end();
        } else if (req.url === '/accepted') {
          res.writeHead(202).end();
        } else if (req.url === '/events') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: one\n\n');
          setTimeout(() => res.end('data: two\n\n'), 300);
        }
        // /hang: never answers
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await http.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends method, headers and body; keeps repeated response headers', async () => {
    const headers = new Headers({ 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28' });
    const response = await http.fetch(new URL(`${base}/echo`), { method: 'post', headers, body: '{"jsonrpc":"2.0"}' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(seen).toMatchObject({ method: 'POST', body: '{"jsonrpc":"2.0"}', headers: { 'mcp-protocol-version': '2026-07-28' } });
  });

  it('hands a redirect back instead of following it; 202 has an empty body', async () => {
    const moved = await http.fetch(`${base}/moved`, { method: 'POST', body: 'x', redirect: 'manual' });
    expect(moved.status).toBe(307);
    expect(moved.headers.get('location')).toBe('/echo');
    const accepted = await http.fetch(`${base}/accepted`, { method: 'POST', body: '{}' });
    expect(accepted.status).toBe(202);
    expect(await accepted.text()).toBe('');
  });

  it('streams an event stream: the first event arrives before the stream ends', async () => {
    const response = await http.fetch(`${base}/events`);
    const reader = response.body!.getReader();
    const started = Date.now();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    expect(Date.now() - started).toBeLessThan(250);
    let rest = '';
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      rest += new TextDecoder().decode(next.value);
    }
    expect(rest).toBe('data: two\n\n');
  });

  it('an abort ends a request that hangs, and an aborted signal sends nothing', async () => {
    const controller = new AbortController();
    const pending = http.fetch(`${base}/hang`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('gave up')), 100);
    await expect(pending).rejects.toThrow();
    await expect(http.fetch(`${base}/echo`, { signal: AbortSignal.abort() })).rejects.toThrow();
  });
});
