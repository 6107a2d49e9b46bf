import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllowList, createOutboundHttp, type OutboundRequest, refusalReason } from '../../src/providers/outbound/index.ts';
import { outboundFailure, startHttpServer, type TestHttpServer } from './outbound-servers.ts';

/**
 * The address policy of outbound HTTP through literal-IP URLs, against a real
 * HTTP server on 127.0.0.1: what is refused without TOOLPORT_HTTP_ALLOW (and
 * that the refusal happens before any connection), what the allow-list opens,
 * and which URLs are not accepted at all.
 */

let server: TestHttpServer;

beforeAll(async () => {
  server = await startHttpServer((_seen, response) => response.end('ok'));
});
afterAll(async () => {
  await server.close();
});

const get = (url: string | URL, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: 'GET',
  url,
  headers: {},
  timeoutMs: 2_000,
  maxResponseBytes: 1024,
  ...extra,
});

const failure = outboundFailure;

describe('loopback', () => {
  it('is refused without the allow-list, before any request reaches the server', async () => {
    const http = createOutboundHttp({ allow: [] });
    const before = server.requests.length;
    const error = await failure(http.request(get(`${server.origin}/x`)));
    expect(error.kind).toBe('refused');
    expect(error.url).toBe(`${server.origin}/x`);
    expect(error.message).toBe(`refused ${server.origin}/x: 127.0.0.1 is a loopback address (127.0.0.0/8); allow it with TOOLPORT_HTTP_ALLOW`);
    expect(server.requests.length).toBe(before);
    await http.close();
  });

  it.each([['127.0.0.1/32'], ['127.0.0.0/8'], ['127.0.0.1']])('is allowed with %s', async (item) => {
    const http = createOutboundHttp({ allow: [item] });
    const response = await http.request(get(`${server.origin}/allowed?item=${item}`));
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body).toString()).toBe('ok');
    expect(response.address).toBe('127.0.0.1');
    expect(response.redirects).toBe(0);
    expect(response.url).toBe(`${server.origin}/allowed?item=${item}`);
    expect(server.requests.at(-1)?.url).toBe(`/allowed?item=${item}`);
    await http.close();
  });

  it('keeps its verdict per client: refused on every request without the allow-list, allowed on every one with it (a URL object too)', async () => {
    const refusing = createOutboundHttp({ allow: [] });
    const allowing = createOutboundHttp({ allow: ['127.0.0.1/32'] });
    const before = server.requests.length;
    for (let i = 0; i < 3; i++) {
      const error = await failure(refusing.request(get(`${server.origin}/again`)));
      expect(error.kind).toBe('refused');
      expect(error.message).toContain('127.0.0.1 is a loopback address');
    }
    expect(server.requests.length).toBe(before);
    for (let i = 0; i < 3; i++) {
      const response = await allowing.request(get(new URL(`${server.origin}/again?i=${i}`)));
      expect(response.status).toBe(200);
      expect(response.url).toBe(`${server.origin}/again?i=${i}`);
      // One header read without building Headers, and the full Headers beside it agree.
      expect(response.header('Content-Length')).toBe('2');
      expect(response.headers.get('content-length')).toBe('2');
      expect(response.header('x-not-sent')).toBeNull();
    }
    expect(server.requests.length).toBe(before + 3);
    await Promise.all([refusing.close(), allowing.close()]);
  });

  it('in another notation (0x7f.1, decimal) is the same address and refused', async () => {
    const http = createOutboundHttp({ allow: [] });
    for (const host of ['0x7f.1', '2130706433', '127.1']) {
      const error = await failure(http.request(get(`http://${host}:${server.port}/`)));
      expect(error.kind).toBe('refused');
      expect(error.message).toContain('127.0.0.1 is a loopback address');
    }
    await http.close();
  });
});

describe('addresses refused by default (literal IPs; nothing is connected to)', () => {
  const http = createOutboundHttp({ allow: [] });
  afterAll(() => http.close());

  it.each([
    ['10.0.0.5', 'a private address (RFC 1918)'],
    ['172.16.4.4', 'a private address (RFC 1918)'],
    ['192.168.1.1', 'a private address (RFC 1918)'],
    ['169.254.10.1', 'a link-local address (169.254.0.0/16)'],
    ['169.254.169.254', 'a cloud metadata address'],
    ['100.64.0.1', 'a carrier-grade NAT address (100.64.0.0/10)'],
    ['0.0.0.0', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'the broadcast address'],
    ['240.0.0.1', 'a reserved address'],
    ['192.0.2.1', 'a reserved address'],
    ['[::1]', 'the loopback address (::1)'],
    ['[::]', 'the unspecified address (::)'],
    ['[fd12:3456::1]', 'a unique local address (fc00::/7)'],
    ['[fd00:ec2::254]', 'a cloud metadata address'],
    ['[fe80::1]', 'a link-local address (fe80::/10)'],
    ['[ff02::1]', 'a multicast address (ff00::/8)'],
    ['[::ffff:127.0.0.1]', 'an IPv6 form of 127.0.0.1, a loopback address'],
    ['[::ffff:10.1.2.3]', 'an IPv6 form of 10.1.2.3, a private address (RFC 1918)'],
    ['[::ffff:169.254.169.254]', 'an IPv6 form of 169.254.169.254, a cloud metadata address'],
    ['[64:ff9b::a9fe:a9fe]', 'an IPv6 form of 169.254.169.254, a cloud metadata address'],
    ['[2002:c0a8:101::1]', 'an IPv6 form of 192.168.1.1, a private address'],
  ])('%s: %s', async (host, description) => {
    const started = performance.now();
    const error = await failure(http.request(get(`http://${host}/latest/meta-data?token=abc`)));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain(description);
    expect(error.message).toContain('TOOLPORT_HTTP_ALLOW');
    expect(error.message).not.toContain('token=abc');
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('the allow-list', () => {
  const address = (text: string) => ipaddr.parse(text);

  it('matches CIDRs and bare IPs, IPv4 and its mapped IPv6 form alike', () => {
    const allow = new AllowList(['10.0.0.0/8', '::1/128', 'fd00:1::/32', '192.168.7.7']);
    expect(refusalReason(address('10.200.3.4'), allow)).toBeUndefined();
    expect(refusalReason(address('::ffff:10.200.3.4'), allow)).toBeUndefined();
    expect(refusalReason(address('::1'), allow)).toBeUndefined();
    expect(refusalReason(address('fd00:1:2::3'), allow)).toBeUndefined();
    expect(refusalReason(address('192.168.7.7'), allow)).toBeUndefined();
    expect(refusalReason(address('192.168.7.8'), allow)?.description).toBe('a private address (RFC 1918)');
    expect(refusalReason(address('127.0.0.1'), allow)?.description).toContain('loopback');
    expect(refusalReason(address('fd00:2::1'), allow)?.description).toContain('unique local');
  });

  it('opens a metadata address only by naming it exactly, never by a wider range', () => {
    expect(refusalReason(address('169.254.169.254'), new AllowList(['169.254.0.0/16']))?.hint).toBe(
      'allow it with TOOLPORT_HTTP_ALLOW=169.254.169.254/32 (a wider range does not)',
    );
    expect(refusalReason(address('169.254.169.254'), new AllowList(['0.0.0.0/0']))).toBeDefined();
    expect(refusalReason(address('169.254.169.254'), new AllowList(['169.254.169.254/32']))).toBeUndefined();
    expect(refusalReason(address('fd00:ec2::254'), new AllowList(['fc00::/7']))).toBeDefined();
    expect(refusalReason(address('fd00:ec2::254'), new AllowList(['fd00:ec2::254']))).toBeUndefined();
    // The rest of 169.254/16 is opened by the range.
    expect(refusalReason(address('169.254.1.1'), new AllowList(['169.254.0.0/16']))).toBeUndefined();
  });

  it('leaves public addresses alone', () => {
    const none = new AllowList([]);
    for (const text of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.4.4', '64:ff9b::808:808']) {
      expect(refusalReason(address(text), none), text).toBeUndefined();
    }
  });

  it('matches host names exactly and "*.suffix" patterns on any subdomain', () => {
    const allow = new AllowList(['API.Internal.', '*.corp.example']);
    expect(allow.allowsName('api.internal')).toBe(true);
    expect(allow.allowsName('other.internal')).toBe(false);
    expect(allow.allowsName('billing.corp.example')).toBe(true);
    expect(allow.allowsName('a.b.corp.example')).toBe(true);
    expect(allow.allowsName('corp.example')).toBe(false);
    expect(allow.allowsName('evilcorp.example')).toBe(false);
  });

  it.each([['10.0.0.0/33'], ['http://api.internal'], ['*'], ['api internal'], ['10.1']])('refuses the item %s, naming it', (item) => {
    expect(() => createOutboundHttp({ allow: [item] })).toThrow(`TOOLPORT_HTTP_ALLOW: "${item}" is not a host name`);
  });
});

describe('URLs that are not accepted', () => {
  const http = createOutboundHttp({ allow: ['127.0.0.1/32'] });
  afterAll(() => http.close());

  it.each([
    ['ftp://127.0.0.1/file', 'bad_url ftp://127.0.0.1/file: only http: and https: URLs may be called (got ftp:)'],
    ['file:///etc/passwd', 'bad_url file:///etc/passwd: only http: and https: URLs may be called (got file:)'],
    ['/relative/path?key=SECRET', 'bad_url /relative/path: not an absolute http(s) URL'],
    ['http://user:SECRET@127.0.0.1/x?key=SECRET', 'bad_url http://127.0.0.1/x: credentials in the URL are not allowed; send them in a header'],
  ])('%s', async (url, message) => {
    const before = server.requests.length;
    const error = await failure(http.request(get(url)));
    expect(error.kind).toBe('bad_url');
    expect(error.message).toBe(message);
    expect(error.url).not.toContain('SECRET');
    expect(server.requests.length).toBe(before);
  });

  it('rejects a malformed request naming the field', async () => {
    await expect(http.request(get(`${server.origin}/`, { timeoutMs: 0 }))).rejects.toThrow('OutboundRequest.timeoutMs must be a positive number');
    await expect(http.request(get(`${server.origin}/`, { method: 'GET X' }))).rejects.toThrow('OutboundRequest.method');
    await expect(http.request(get(`${server.origin}/`, { maxResponseBytes: -1 }))).rejects.toThrow('OutboundRequest.maxResponseBytes');
  });
});
