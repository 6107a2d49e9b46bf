import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp, type OutboundHttp, type OutboundRequest } from '../../src/providers/outbound/index.ts';
import { outboundFailure, type SeenRequest, startHttpServer, type TestHttpServer } from './outbound-servers.ts';

/**
 * What travels over an allowed outbound call, against real HTTP servers on
 * 127.0.0.1 (allowed by CIDR): request bodies and headers, redirects (counted,
 * checked hop by hop, loops cut), oversized bodies cut while streaming, the
 * one deadline, the caller's abort, and error messages free of secrets.
 */

const SECRET = 'sk-live-0123456789abcdef';
const CHUNK = Buffer.alloc(64 * 1024, 'x');
const BIG_BYTES = 64 * 1024 * 1024;

let server: TestHttpServer;
let other: TestHttpServer;
let http: OutboundHttp;
/** Bytes the /big route handed to its socket, once the connection closed. */
let bigWritten: Promise<number>;
const openResponses = new Set<ServerResponse>();

function streamBig(response: ServerResponse): void {
  let written = 0;
  bigWritten = new Promise((resolve) => response.on('close', () => resolve(written)));
  response.writeHead(200, { 'content-type': 'application/octet-stream' });
  const pump = () => {
    while (written < BIG_BYTES && !response.destroyed) {
      written += CHUNK.length;
      if (!response.write(CHUNK)) return void response.once('drain', pump);
    }
    response.end();
  };
  pump();
}

function route(seen: SeenRequest, response: ServerResponse): void {
  const url = new URL(seen.url, 'http://x');
  const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (redirect) {
    const left = Number(redirect[1]);
    if (left === 0) return void response.end('arrived');
    return void response.writeHead(302, { location: `/redirect/${left - 1}` }).end();
  }
  switch (url.pathname) {
    case '/echo':
      return void response
        .writeHead(201, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] })
        .end(JSON.stringify({ method: seen.method, headers: seen.headers, body: seen.body.toString('base64') }));
    case '/to':
      return void response.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('target') ?? '/' }).end('moved');
    case '/loop':
      return void response.writeHead(302, { location: '/loop' }).end();
    case '/big':
      return streamBig(response);
    case '/declared':
      response.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      return void response.write(CHUNK);
    case '/exact':
      return void response.end(Buffer.alloc(1000, 'y'));
    case '/slow-headers':
      return void openResponses.add(response);
    case '/slow-body':
      response.writeHead(200);
      response.write('a');
      return void openResponses.add(response);
    default:
      response.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = await startHttpServer(route);
  other = await startHttpServer(route);
  http = createOutboundHttp({ allow: ['127.0.0.1/32'] });
});
afterAll(async () => {
  await http.close();
  for (const response of openResponses) response.destroy();
  await server.close();
  await other.close();
});

const call = (path: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: 'GET',
  url: path.startsWith('http') ? path : `${server.origin}${path}`,
  headers: {},
  timeoutMs: 3_000,
  maxResponseBytes: 1024 * 1024,
  ...extra,
});

const failure = outboundFailure;

const echoed = (body: Uint8Array) => JSON.parse(Buffer.from(body).toString()) as { method: string; headers: Record<string, string>; body: string };

describe('requests and responses', () => {
  it('sends a POST body and headers as given, and returns status, headers and body', async () => {
    const response = await http.request(
      call('/echo?x=1', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-trace': 'abc', authorization: `Bearer ${SECRET}` },
        body: '{"a":1}',
      }),
    );
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const seen = echoed(response.body);
    expect(seen.method).toBe('POST');
    expect(seen.headers).toMatchObject({ 'content-type': 'application/json', 'x-trace': 'abc', authorization: `Bearer ${SECRET}`, 'content-length': '7' });
    expect(Buffer.from(seen.body, 'base64').toString()).toBe('{"a":1}');
  });

  it('sends a binary body byte for byte', async () => {
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    const response = await http.request(call('/echo', { method: 'put', body: bytes }));
    const seen = echoed(response.body);
    expect(seen.method).toBe('PUT');
    expect([...Buffer.from(seen.body, 'base64')]).toEqual([...bytes]);
  });

  it('accepts a body of exactly maxResponseBytes', async () => {
    const response = await http.request(call('/exact', { maxResponseBytes: 1000 }));
    expect(response.body.length).toBe(1000);
  });
});

describe('redirects', () => {
  it('are followed and counted, up to maxRedirects', async () => {
    const response = await http.request(call('/redirect/3?q=1'));
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body).toString()).toBe('arrived');
    expect(response.redirects).toBe(3);
    expect(response.url).toBe(`${server.origin}/redirect/0`);
  });

  it('in a loop end in too_many_redirects', async () => {
    const before = server.requests.filter((seen) => seen.url === '/loop').length;
    const error = await failure(http.request(call('/loop', { maxRedirects: 2 })));
    expect(error.kind).toBe('too_many_redirects');
    expect(error.message).toBe(`too_many_redirects ${server.origin}/loop: more than 2 redirects`);
    expect(server.requests.filter((seen) => seen.url === '/loop').length - before).toBe(3);
    expect((await failure(http.request(call('/loop')))).message).toContain('more than 5 redirects');
  });

  it('to a refused address are refused before connecting', async () => {
    const error = await failure(http.request(call(`/to?target=${encodeURIComponent('http://10.0.0.5/admin?token=abc')}`)));
    expect(error.kind).toBe('refused');
    expect(error.url).toBe('http://10.0.0.5/admin');
    expect(error.message).toBe(
      `refused http://10.0.0.5/admin (redirect 1 from ${server.origin}/to): 10.0.0.5 is a private address (RFC 1918); allow it with TOOLPORT_HTTP_ALLOW`,
    );
    const metadata = await failure(http.request(call(`/to?target=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`)));
    expect(metadata.message).toContain('169.254.169.254 is a cloud metadata address');
  });

  it('to a non-http scheme are bad_url', async () => {
    const error = await failure(http.request(call(`/to?target=${encodeURIComponent('file:///etc/passwd')}`)));
    expect(error.kind).toBe('bad_url');
  });

  it('303, and 302 after POST, continue as GET without the body; 307 keeps method and body', async () => {
    const post = { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' };
    for (const status of [303, 302]) {
      const seen = echoed((await http.request(call(`/to?status=${status}&target=/echo`, post))).body);
      expect(seen.method).toBe('GET');
      expect(seen.body).toBe('');
      expect(seen.headers['content-type']).toBeUndefined();
    }
    const seen = echoed((await http.request(call('/to?status=307&target=/echo', post))).body);
    expect(seen.method).toBe('POST');
    expect(Buffer.from(seen.body, 'base64').toString()).toBe('payload');
    expect(seen.headers['content-type']).toBe('text/plain');
  });

  it('keep credentials on the same origin and drop them on another', async () => {
    const headers = { authorization: `Bearer ${SECRET}`, cookie: 'session=1', 'x-keep': 'yes' };
    const same = echoed((await http.request(call('/to?target=/echo', { headers }))).body);
    expect(same.headers).toMatchObject(headers);
    const cross = await http.request(call(`/to?target=${encodeURIComponent(`${other.origin}/echo`)}`, { headers }));
    expect(cross.url).toBe(`${other.origin}/echo`);
    const seen = echoed(cross.body);
    expect(seen.headers['x-keep']).toBe('yes');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
  });
});

describe('bounds', () => {
  it('an oversized body is too_large, and only a bounded part of it is ever sent', async () => {
    const started = performance.now();
    const error = await failure(http.request(call(`/big?api_key=${SECRET}`, { maxResponseBytes: 100_000 })));
    expect(error.kind).toBe('too_large');
    expect(error.message).toBe(`too_large ${server.origin}/big: the response body is larger than 100000 bytes`);
    const written = await bigWritten;
    expect(written).toBeLessThan(BIG_BYTES / 4);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('a declared Content-Length over the bound is too_large at once', async () => {
    const error = await failure(http.request(call('/declared', { maxResponseBytes: 1024 })));
    expect(error.kind).toBe('too_large');
  });

  it.each([['/slow-headers'], ['/slow-body']])('%s: the timeout covers the whole request', async (path) => {
    const started = performance.now();
    const error = await failure(http.request(call(`${path}?api_key=${SECRET}`, { timeoutMs: 300 })));
    const elapsed = performance.now() - started;
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(`timeout ${server.origin}${path}: no complete answer within 300 ms`);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('the caller aborting is aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const error = await failure(http.request(call('/slow-headers', { signal: controller.signal })));
    expect(error.kind).toBe('aborted');
    expect(error.message).toBe(`aborted ${server.origin}/slow-headers: the caller cancelled the request`);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('an already aborted signal sends nothing', async () => {
    const before = server.requests.length;
    const error = await failure(http.request(call('/echo', { signal: AbortSignal.abort() })));
    expect(error.kind).toBe('aborted');
    expect(server.requests.length).toBe(before);
  });
});

describe('errors', () => {
  it('a refused connection is a network error; no message carries the query, userinfo or headers', async () => {
    const closed = await startHttpServer(route);
    await closed.close();
    const headers = { authorization: `Bearer ${SECRET}` };
    const error = await failure(http.request(call(`${closed.origin}/x?api_key=${SECRET}`, { headers })));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(new RegExp(`^network ${closed.origin}/x: .*ECONNREFUSED`));
    const errors = [
      error,
      await failure(http.request(call(`/slow-headers?api_key=${SECRET}`, { headers, timeoutMs: 100 }))),
      await failure(http.request(call(`/big?api_key=${SECRET}`, { headers, maxResponseBytes: 10 }))),
      await failure(http.request(call(`http://user:${SECRET}@127.0.0.1:${server.port}/`, { headers }))),
      await failure(createOutboundHttp({ allow: [] }).request(call(`/x?api_key=${SECRET}`, { headers }))),
    ];
    for (const each of errors) {
      expect(each.message).not.toContain(SECRET);
      expect(each.url).not.toContain(SECRET);
    }
  });

  it('a closed client refuses further requests', async () => {
    const closing = createOutboundHttp({ allow: ['127.0.0.1/32'] });
    await closing.close();
    const error = await failure(closing.request(call('/echo')));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('closed');
  });
});
