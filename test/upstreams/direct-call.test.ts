import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectCaller, LeftToClient, plainHeaderValue } from '../../src/providers/upstreams/direct-call.ts';
import { UpstreamAnswerError, UpstreamDownError } from '../../src/providers/upstreams/errors.ts';
import { createUpstreamHttp, type UpstreamHttp } from '../../src/providers/upstreams/fetch.ts';
import { within } from '../live/within.ts';
import { startUpstreamServer, type UpstreamServer } from './upstream-server.ts';

/**
 * The direct tools/call of 2026-07-28 upstream connections (issue 17's
 * proxied-call cost): the request it sends is the SDK client's request,
 * header for header and byte for byte apart from the id, so an upstream
 * cannot tell them apart; and every answer an upstream can give — JSON, an
 * event stream with notifications first, a JSON-RPC error, an HTTP error, a
 * redirect, an invalid result, no answer — is read as the SDK client reads
 * it. Real servers on 127.0.0.1: the SDK's createMcpHandler, and a node:http
 * server for the answers the SDK's server never gives.
 */

const INFO = { name: 'toolport', version: '9.9.9' };
const UPSTREAM_HEADERS = { Authorization: 'Bearer token-1', 'X-Tenant': 'acme', Accept: 'application/json' };
/** Headers of the connection rather than the request. */
const HOP = new Set(['host', 'connection', 'content-length', 'keep-alive']);

function requestHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP.has(name)));
}

function withoutId(body: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, ...rest } = body;
  return rest;
}

describe('a direct tools/call against the SDK client', () => {
  let upstream: UpstreamServer;
  let http: UpstreamHttp;
  let client: Client;
  let direct: DirectCaller;

  beforeAll(async () => {
    upstream = await startUpstreamServer();
    http = createUpstreamHttp();
    client = new Client(INFO, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(upstream.url), { requestInit: { headers: UPSTREAM_HEADERS }, fetch: http.fetch }));
    const version = client.getNegotiatedProtocolVersion?.();
    expect(version).toBe('2026-07-28');
    direct = new DirectCaller({ url: upstream.url, headers: UPSTREAM_HEADERS, clientInfo: INFO, protocolVersion: version!, dispatcher: http.dispatcher });
  });
  afterAll(async () => {
    await client?.close();
    await http?.close();
    await upstream?.close();
  });

  it('sends the headers and body the SDK client sends, and reads the same result', async () => {
    const args = { text: 'héllo "quoted"' };
    const fromSdk = await client.callTool({ name: 'echo', arguments: args });
    const fromDirect = await direct.call('echo', args, { signal: new AbortController().signal, timeoutMs: 5000 });
    expect(fromDirect).toEqual(fromSdk);
    const [sdk, ours] = upstream.requests.slice(-2);
    expect(ours!.id).toMatch(/^toolport-\d+$/);
    expect(requestHeaders(ours!.headers)).toEqual(requestHeaders(sdk!.headers));
    expect(withoutId(ours!.body)).toEqual(withoutId(sdk!.body));
    expect(ours!.headers.authorization).toBe('Bearer token-1');
    expect(ours!.headers['mcp-name']).toBe('echo');
  });

  it('reads images and structured content as the SDK does', async () => {
    const signal = new AbortController().signal;
    for (const [name, args] of [
      ['pixel', {}],
      ['sum', { a: 2, b: 3 }],
    ] as const) {
      expect(await direct.call(name, args, { signal, timeoutMs: 5000 })).toEqual(await client.callTool({ name, arguments: args }));
    }
  });

  it('gives distinct ids to concurrent calls and answers each its own', async () => {
    const signal = new AbortController().signal;
    const texts = Array.from({ length: 8 }, (_, i) => `call ${i}`);
    const results = await Promise.all(texts.map((text) => direct.call('echo', { text }, { signal, timeoutMs: 5000 })));
    expect(results.map((result) => (result.content[0] as { text: string }).text)).toEqual(texts);
    const ids = upstream.requests.slice(-8).map((request) => request.id);
    expect(new Set(ids).size).toBe(8);
  });

  it('cancels by ending its request: the upstream handler sees its signal abort', async () => {
    const before = upstream.cancelled;
    const controller = new AbortController();
    const reason = new Error('the caller went away');
    const pending = direct.call('slow', { ms: 15000 }, { signal: controller.signal, timeoutMs: 20000 });
    await within(3000, async () => (upstream.calls.at(-1) === 'slow' ? true : undefined), 'slow runs upstream');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await within(3000, async () => (upstream.cancelled > before ? true : undefined), 'the upstream sees the cancel');
  });

  it('times out as an unreachable upstream does, and the upstream sees the cancel', async () => {
    const before = upstream.cancelled;
    const pending = direct.call('slow', { ms: 15000 }, { signal: new AbortController().signal, timeoutMs: 150 });
    await expect(pending).rejects.toThrow(UpstreamDownError);
    await expect(pending).rejects.toThrow('Request timed out after 150 ms');
    await within(3000, async () => (upstream.cancelled > before ? true : undefined), 'the upstream sees the cancel');
  });
});

describe('plainHeaderValue (which names the direct call sends as they are)', () => {
  it('takes printable ASCII and refuses what the SDK would encode', () => {
    expect(plainHeaderValue('get_weather')).toBe(true);
    expect(plainHeaderValue('a.b-c/d')).toBe(true);
    expect(plainHeaderValue('wetter_für')).toBe(false);
    expect(plainHeaderValue(' padded')).toBe(false);
    expect(plainHeaderValue('line\nbreak')).toBe(false);
    expect(plainHeaderValue('=?base64?abc')).toBe(false);
    expect(plainHeaderValue('')).toBe(false);
  });
});

/** The error a call rejects with (a result instead fails the test). */
async function failure(pending: Promise<unknown>): Promise<Error> {
  const outcome = await pending.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.result)}`);
  return outcome.error as Error;
}

type Answer = (request: { id: string; body: Record<string, unknown> }, res: ServerResponse) => void;

describe('a direct tools/call reads every kind of answer', () => {
  let server: Server;
  let url: string;
  let http: UpstreamHttp;
  let answer: Answer = () => {};
  const closed: string[] = [];

  beforeAll(async () => {
    http = createUpstreamHttp();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        text += chunk;
      });
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        res.on('close', () => {
          if (!res.writableFinished) closed.push(String(body.id));
        });
        answer({ id: String(body.id), body }, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  afterAll(async () => {
    await http?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  const caller = () => new DirectCaller({ url, headers: {}, clientInfo: INFO, protocolVersion: '2026-07-28', dispatcher: http.dispatcher });
  const call = (timeoutMs = 5000, signal = new AbortController().signal) => caller().call('tool', {}, { signal, timeoutMs });
  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const complete =
    (result: Record<string, unknown>): Answer =>
    ({ id }, res) =>
      json(res, 200, { jsonrpc: '2.0', id, result: { resultType: 'complete', ...result } });

  it('an event stream: notifications before the response are passed over', async () => {
    answer = ({ id }, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } })}\n\n`);
      // The response arrives in two writes split inside a two-byte character.
      const event = Buffer.from(
        `data: ${JSON.stringify({ jsonrpc: '2.0', id, result: { resultType: 'complete', content: [{ type: 'text', text: 'streamed ü' }] } })}\n\n`,
      );
      const split = event.indexOf(Buffer.from('ü')) + 1;
      res.write(event.subarray(0, split));
      setTimeout(() => res.write(event.subarray(split)), 20);
      // The stream stays open: the caller stops reading at its response.
    };
    expect(await call()).toEqual({ content: [{ type: 'text', text: 'streamed ü' }] });
  });

  it('an event stream that ends without the response is an upstream that did not answer', async () => {
    answer = (_request, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: {} })}\n\n`);
    };
    await expect(call()).rejects.toThrow(UpstreamDownError);
  });

  it('a JSON-RPC error (HTTP 200 or 400) is an answer, carrying its message', async () => {
    for (const status of [200, 400]) {
      answer = ({ id }, res) => json(res, status, { jsonrpc: '2.0', id, error: { code: -32602, message: 'Unknown tool: tool' } });
      const pending = call();
      await expect(pending).rejects.toThrow(UpstreamAnswerError);
      await expect(pending).rejects.toThrow('Unknown tool: tool');
    }
  });

  it('an HTTP error without a JSON-RPC answer is an upstream down, quoting a bounded body', async () => {
    answer = (_request, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(`overloaded ${'x'.repeat(2000)}`);
    };
    const error = await failure(call());
    expect(error).toBeInstanceOf(UpstreamDownError);
    expect(error.message).toMatch(/^Error POSTing to endpoint \(HTTP 503\): overloaded x+$/);
    expect(error.message.length).toBeLessThan(600);
  });

  it('a redirect is left to the SDK client', async () => {
    answer = (_request, res) => {
      res.writeHead(307, { location: '/elsewhere' });
      res.end();
    };
    const error = (await failure(call())) as LeftToClient;
    expect(error).toBeInstanceOf(LeftToClient);
    expect(error.scope).toBe('upstream');
  });

  it('HeaderMismatch (-32020) is left to the SDK client, which sends the Mcp-Param headers', async () => {
    answer = ({ id }, res) => json(res, 400, { jsonrpc: '2.0', id, error: { code: -32020, message: 'Header mismatch: Mcp-Param-Region' } });
    const error = (await failure(call())) as LeftToClient;
    expect(error).toBeInstanceOf(LeftToClient);
    expect(error.scope).toBe('tool');
  });

  it('input_required, a missing resultType, and an invalid block are answers that cannot be passed on', async () => {
    answer = ({ id }, res) => json(res, 200, { jsonrpc: '2.0', id, result: { resultType: 'input_required', inputRequests: {} } });
    await expect(call()).rejects.toThrow(/input_required/);
    answer = ({ id }, res) => json(res, 200, { jsonrpc: '2.0', id, result: { content: [] } });
    await expect(call()).rejects.toThrow('resultType is missing');
    answer = complete({
      content: [
        { type: 'text', text: 'fine' },
        { type: 'image', data: 'AAAA' },
      ],
    });
    const error = await failure(call());
    expect(error).toBeInstanceOf(UpstreamAnswerError);
    expect(error.message).toContain('content.1.mimeType');
  });

  it('a response to another id is not taken for ours', async () => {
    answer = (_request, res) => json(res, 200, { jsonrpc: '2.0', id: 'someone-else', result: { resultType: 'complete', content: [] } });
    await expect(call()).rejects.toThrow(UpstreamDownError);
  });

  it('structured content that is not an object gets its JSON as text, as the SDK gives it', async () => {
    answer = complete({ content: [], structuredContent: [1, 2] });
    expect(await call()).toEqual({ content: [{ type: 'text', text: '[1,2]' }], structuredContent: [1, 2] });
    answer = complete({ content: [{ type: 'text', text: 'kept' }], structuredContent: { a: 1 }, isError: false });
    expect(await call()).toEqual({ content: [{ type: 'text', text: 'kept' }], structuredContent: { a: 1 }, isError: false });
  });

  it('a hung upstream times out and its request is ended', async () => {
    answer = () => {};
    const pending = call(150);
    await expect(pending).rejects.toThrow('Request timed out after 150 ms');
    await within(3000, async () => (closed.length > 0 ? true : undefined), 'the server sees the request end');
  });
});
