import type { ServerResponse } from 'node:http';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, type Upstream } from '../handlers/http-kind-upstream.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { INITIALIZE, postMcp, sleep } from './support.ts';

// The fast path of established 2025-era sessions: plain tools/list and tools/call answered from the catalog,
// the JSON-RPC message byte for byte what the session's SDK transport sends (there as an SSE event), and
// everything unusual still answered by the SDK.

const VERSION = '2025-11-25';

/** Open a session the way a client does (initialize, then notifications/initialized); its id. */
async function openSession(url: string): Promise<string> {
  const response = await postMcp(url, INITIALIZE);
  await response.text();
  const id = response.headers.get('mcp-session-id');
  expect(response.status).toBe(200);
  const initialized = await postMcp(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': id!, 'mcp-protocol-version': VERSION });
  expect(initialized.status).toBe(202);
  return id!;
}

interface Answer {
  status: number;
  type: string;
  session: string | null;
  /** The JSON-RPC message: the body, or the one SSE data line. */
  message: string;
}

async function send(url: string, session: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await postMcp(url, body, { 'mcp-session-id': session, 'mcp-protocol-version': VERSION, ...headers });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const data = text.split('\n').filter((line) => line.startsWith('data: '));
  return {
    status: response.status,
    type,
    session: response.headers.get('mcp-session-id'),
    message: type.startsWith('text/event-stream') ? (data.at(-1)?.slice(6) ?? '') : text,
  };
}

const request = (id: number, method: string, params: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method, params });
/** The same request with a progress token: the fast path leaves it to the SDK, whose result is the same. */
const viaSdk = (id: number, method: string, params: Record<string, unknown>) => request(id, method, { ...params, _meta: { progressToken: `p${id}` } });

describe.each(backends)('2025-era sessions: the fast path (%s)', (backend) => {
  let upstream: Upstream;
  const held: ServerResponse[] = [];
  let closedByToolport = 0;
  const t = useToolport(backend, { TOOLPORT_HTTP_ALLOW: '127.0.0.1/32', TOOLPORT_CALL_TIMEOUT_MS: '20000' });
  let finance: string;
  let utility: string;
  beforeAll(async () => {
    finance = t.app.urls.finance!;
    utility = t.app.urls.utility!;
    upstream = await startUpstream();
    // An upstream that never answers: the call ends when Toolport gives up on it (a cancellation).
    upstream.route('/hang', (_request, response) => {
      held.push(response);
      response.on('close', () => closedByToolport++);
    });
  });
  afterAll(async () => {
    for (const response of held) response.destroy();
    await upstream?.close();
  });

  it('a tools/list page is the SDK’s message, sent as JSON once the SDK has answered it', async () => {
    const session = await openSession(finance);
    const first = await send(finance, session, request(2, 'tools/list', {}));
    expect(first.type).toBe('text/event-stream'); // the SDK's answer, learned from
    const fast = await send(finance, session, request(2, 'tools/list', {}));
    expect(fast).toMatchObject({ status: 200, type: 'application/json', session });
    expect(fast.message).toBe(first.message);
    // Another session of the same server shares the page; its own id comes back.
    const other = await openSession(finance);
    const again = await send(finance, other, { jsonrpc: '2.0', id: 'x-1', method: 'tools/list' });
    expect(again.type).toBe('application/json');
    expect(again.session).toBe(other);
    expect(JSON.parse(again.message)).toEqual({ ...JSON.parse(first.message), id: 'x-1' });
  });

  it('tools/call results and errors are byte for byte the SDK’s, for results, isError and unknown tools', async () => {
    const session = await openSession(utility);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['text_analyzer', { text: 'One sentence here. Another one there!' }],
      ['get_time', { timezone: 42 }],
      ['no_such_tool', {}],
    ];
    // Learn the envelope with one plain call, then compare each case with the SDK's own answer to it.
    await send(utility, session, request(1, 'tools/call', { name: 'text_analyzer', arguments: { text: 'warm up' } }));
    for (const [index, [name, args]] of cases.entries()) {
      const id = 10 + index;
      const sdk = await send(utility, session, viaSdk(id, 'tools/call', { name, arguments: args }));
      expect(sdk.type).toBe('text/event-stream');
      const fast = await send(utility, session, request(id, 'tools/call', { name, arguments: args }));
      expect(fast.type).toBe('application/json');
      expect(fast.message).toBe(sdk.message);
    }
    const unknown = JSON.parse((await send(utility, session, request(20, 'tools/call', { name: 'no_such_tool' }))).message);
    expect(unknown.error.code).toBe(-32602);
  });

  it('batches, other methods, a wrong protocol version header and an unknown session still go through the SDK', async () => {
    const session = await openSession(finance);
    const batch = await send(finance, session, [request(1, 'tools/list', {}), request(2, 'ping', {})]);
    expect(batch.type).toBe('text/event-stream');
    const ping = await send(finance, session, request(3, 'ping', {}));
    expect(ping.type).toBe('text/event-stream');
    expect(JSON.parse(ping.message)).toEqual({ result: {}, jsonrpc: '2.0', id: 3 });
    const wrongVersion = await send(finance, session, request(4, 'tools/list', {}), { 'mcp-protocol-version': '1999-01-01' });
    expect(wrongVersion.status).toBe(400);
    const unknown = await send(finance, '00000000-0000-4000-8000-000000000000', request(5, 'tools/list', {}));
    expect(unknown.status).toBe(404);
  });

  it('notifications/cancelled stops a call the fast path is running', async () => {
    const registered = await fetch(`${utility}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'hang_forever',
        description: 'an http tool whose upstream never answers',
        handler: 'http',
        inputSchema: { type: 'object', properties: {} },
        config: { method: 'GET', url: `${upstream.url}/hang` },
      }),
    });
    expect(registered.status).toBe(201);
    await sleep(200);
    const session = await openSession(utility);
    await send(utility, session, request(1, 'tools/call', { name: 'get_time', arguments: {} })); // learn the envelope
    const pending = send(utility, session, request(77, 'tools/call', { name: 'hang_forever', arguments: {} }));
    while (held.length === 0) await sleep(20);
    const cancelled = await postMcp(
      utility,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 77, reason: 'the user pressed stop' } },
      { 'mcp-session-id': session, 'mcp-protocol-version': VERSION },
    );
    expect(cancelled.status).toBe(202);
    const answer = await pending;
    expect(answer.type).toBe('application/json');
    expect(JSON.parse(answer.message).result.isError).toBe(true);
    while (closedByToolport === 0) await sleep(20); // the upstream request was aborted, not left hanging
  });

  it('an SDK v1 client lists and calls through the fast path as before', async () => {
    const client = new V1Client({ name: 'v1', version: '1' });
    await client.connect(new V1Transport(new URL(`${finance}/mcp`)));
    try {
      for (let round = 0; round < 3; round++) {
        expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('get_stock_price');
        const result = await client.callTool({ name: 'get_stock_price', arguments: { symbol: 'MSFT' } });
        expect(result.structuredContent).toMatchObject({ symbol: 'MSFT' });
      }
    } finally {
      await client.close();
    }
  });
});
