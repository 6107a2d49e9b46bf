import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';
import { startUpstreamServer, type UpstreamServer } from './upstream-server.ts';

/**
 * Which client a proxied call goes out on (issue 17's proxied-call cost):
 * on a 2026-07-28 connection a call is sent directly (direct-call.ts; its
 * JSON-RPC ids are Toolport's `toolport-N`), except for a tool whose input
 * schema declares `x-mcp-header` parameters, which the SDK client calls so
 * that it sends their `Mcp-Param-*` headers (its ids are numbers).
 */
describe.each(backends)('proxied calls on a 2026-07-28 upstream connection (%s)', (backend) => {
  let upstream: UpstreamServer;
  const t = useToolport(backend);
  const base = () => t.app.urls.utility!;
  const listed = async (name: string) =>
    ((await json(await fetch(`${base()}/tools`))).tools as { name: string }[]).some((tool) => tool.name === name) ? true : undefined;
  const call = async (name: string, args: Record<string, unknown>) => {
    const response = await fetch(`${base()}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, arguments: args }),
    });
    return { status: response.status, body: await json(response) };
  };

  beforeAll(async () => {
    upstream = await startUpstreamServer();
    const created = await fetch(`${base()}/upstreams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'far', server: 'utility', url: upstream.url, headers: { 'x-tenant': 'acme' } }),
    });
    expect(created.status, JSON.stringify(await json(created))).toBe(201);
    await within(3000, () => listed('far_echo'), 'far_echo listed');
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('sends a call directly, with the upstream headers, and passes its answer on', async () => {
    const answered = await call('far_echo', { text: 'direct' });
    expect(answered.status).toBe(200);
    expect(answered.body.content).toEqual([{ type: 'text', text: 'direct' }]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.name).toBe('echo');
    expect(String(sent.id)).toMatch(/^toolport-\d+$/);
    expect(sent.headers['x-tenant']).toBe('acme');
    expect(sent.headers['mcp-name']).toBe('echo');
    expect(sent.headers['mcp-protocol-version']).toBe('2026-07-28');
  });

  it('passes an upstream error answer on as the SDK path does', async () => {
    const answered = await call('far_sum', { a: 1, b: 2 });
    expect(answered.body.structuredContent).toEqual({ sum: 3 });
    const unknown = await call('far_gone', {});
    expect(unknown.status).toBe(404);
  });

  it('leaves a tool with x-mcp-header parameters to the SDK client, which sends their headers', async () => {
    upstream.addTool('regional', { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } }, required: ['region'] });
    await within(3000, () => listed('far_regional'), 'far_regional listed');
    const answered = await call('far_regional', { region: 'eu-west' });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    expect(answered.body.content).toEqual([{ type: 'text', text: 'ran regional' }]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.name).toBe('regional');
    expect(typeof sent.id).toBe('number');
    expect(sent.headers['mcp-param-region']).toBe('eu-west');
    // Other tools still go directly.
    await call('far_echo', { text: 'again' });
    expect(String(upstream.requests.at(-1)!.id)).toMatch(/^toolport-/);
  });
});
