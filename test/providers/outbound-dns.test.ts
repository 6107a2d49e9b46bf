import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp, type OutboundRequest } from '../../src/providers/outbound/index.ts';
import { outboundFailure, startDnsServer, startHttpServer, type TestDnsServer, type TestHttpServer } from './outbound-servers.ts';

/**
 * Outbound HTTP to host names, resolved by a real DNS server (dns2 on
 * 127.0.0.1) whose answers each test chooses: every address a name resolves
 * to is checked before connecting, a host-name item of the allow-list opens
 * that name, and the connection is pinned to the checked address so an
 * answer that changes after the check (DNS rebinding) is never used.
 */

let server: TestHttpServer;
let dns: TestDnsServer;

beforeAll(async () => {
  server = await startHttpServer((seen, response) => response.end(`host=${seen.headers.host}`));
  dns = await startDnsServer({
    'local.test': { A: ['127.0.0.1'] },
    'svc.corp.test': { A: ['127.0.0.1'] },
    'private.test': { A: ['10.0.0.5'] },
    'linklocal.test': { A: ['169.254.7.7'] },
    'metadata.test': { A: ['169.254.169.254'] },
    'metadata6.test': { AAAA: ['fd00:ec2::254'] },
    'cgnat.test': { A: ['100.64.2.2'] },
    'ula.test': { AAAA: ['fd12::5'] },
    'mapped.test': { AAAA: ['::ffff:c0a8:1'] }, // ::ffff:192.168.0.1 (dns2 cannot encode the dotted form)
    'mixed.test': { A: ['8.8.8.8', '10.0.0.7'] },
    'mixed6.test': { A: ['127.0.0.1'], AAAA: ['fe80::9'] },
    'rebind.test': { A: (query) => (query === 1 ? ['127.0.0.1'] : ['10.0.0.1']) },
    'fallback.test': { A: ['127.0.0.2', '127.0.0.1'] },
    'empty.test': {},
  });
});
afterAll(async () => {
  await server.close();
  await dns.close();
});

const get = (url: string): OutboundRequest => ({ method: 'GET', url, headers: {}, timeoutMs: 3_000, maxResponseBytes: 1024 });

const failure = outboundFailure;

describe('a host name resolving to a refused address', () => {
  it('is refused without the allow-list; the server behind it gets no request', async () => {
    const http = createOutboundHttp({ allow: [], dnsServers: [dns.server] });
    const before = server.requests.length;
    const error = await failure(http.request(get(`http://local.test:${server.port}/x?key=SECRET`)));
    expect(error.kind).toBe('refused');
    expect(error.message).toBe(
      `refused http://local.test:${server.port}/x: local.test resolves to 127.0.0.1, a loopback address (127.0.0.0/8); allow it with TOOLPORT_HTTP_ALLOW`,
    );
    expect(server.requests.length).toBe(before);
    await http.close();
  });

  it.each([
    ['private.test', '10.0.0.5, a private address (RFC 1918)'],
    ['linklocal.test', '169.254.7.7, a link-local address'],
    ['metadata.test', '169.254.169.254, a cloud metadata address'],
    ['metadata6.test', 'fd00:ec2::254, a cloud metadata address'],
    ['cgnat.test', '100.64.2.2, a carrier-grade NAT address'],
    ['ula.test', 'fd12::5, a unique local address (fc00::/7)'],
    ['mapped.test', '::ffff:c0a8:1, an IPv6 form of 192.168.0.1, a private address'],
    ['mixed.test', '10.0.0.7, a private address'],
    ['mixed6.test', 'fe80::9, a link-local address'],
  ])('%s resolves to %s', async (name, description) => {
    // 127.0.0.1 is allowed: mixed6.test is refused for its other address alone.
    const http = createOutboundHttp({ allow: ['127.0.0.1/32'], dnsServers: [dns.server] });
    const error = await failure(http.request(get(`http://${name}/`)));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain(`${name} resolves to ${description}`);
    await http.close();
  });
});

describe('the allow-list opens a host name', () => {
  it.each([['local.test'], ['*.test'], ['127.0.0.1/32']])('with %s; Host stays the host name', async (item) => {
    const http = createOutboundHttp({ allow: [item], dnsServers: [dns.server] });
    const response = await http.request(get(`http://local.test:${server.port}/named`));
    expect(response.status).toBe(200);
    expect(Buffer.from(response.body).toString()).toBe(`host=local.test:${server.port}`);
    expect(response.address).toBe('127.0.0.1');
    await http.close();
  });

  it('with a "*.suffix" pattern for its subdomains, not for other names', async () => {
    const http = createOutboundHttp({ allow: ['*.corp.test'], dnsServers: [dns.server] });
    expect((await http.request(get(`http://svc.corp.test:${server.port}/`))).status).toBe(200);
    expect((await failure(http.request(get(`http://local.test:${server.port}/`)))).kind).toBe('refused');
    await http.close();
  });
});

describe('DNS rebinding', () => {
  it('connects to the checked address; the changed answer is never looked up for that request', async () => {
    const http = createOutboundHttp({ allow: ['127.0.0.1/32'], dnsServers: [dns.server] });
    const before = server.requests.length;
    const response = await http.request(get(`http://rebind.test:${server.port}/first`));
    expect(response.status).toBe(200);
    expect(response.address).toBe('127.0.0.1');
    expect(server.requests.length).toBe(before + 1);
    // One A and one AAAA query: the connection used the checked answer, it did not look the name up again.
    expect(dns.queries('rebind.test', 'A')).toBe(1);
    expect(dns.queries('rebind.test', 'AAAA')).toBe(1);

    // The next request resolves afresh, gets 10.0.0.1, and is refused before connecting.
    const error = await failure(http.request(get(`http://rebind.test:${server.port}/second`)));
    expect(error.kind).toBe('refused');
    expect(error.message).toContain('rebind.test resolves to 10.0.0.1, a private address');
    expect(dns.queries('rebind.test', 'A')).toBe(2);
    expect(server.requests.length).toBe(before + 1);
    await http.close();
  });
});

describe('several checked addresses', () => {
  it('are tried in order when one refuses the connection', async () => {
    // The server listens on 127.0.0.1 only: 127.0.0.2 (also loopback on Linux) refuses the connection.
    const http = createOutboundHttp({ allow: ['127.0.0.0/8'], dnsServers: [dns.server] });
    const response = await http.request(get(`http://fallback.test:${server.port}/`));
    expect(response.status).toBe(200);
    expect(response.address).toBe('127.0.0.1');
    await http.close();
  });
});

describe('names that do not resolve', () => {
  it.each([['nowhere.test'], ['empty.test']])('%s is a network error naming the host', async (name) => {
    const http = createOutboundHttp({ allow: [], dnsServers: [dns.server] });
    const error = await failure(http.request(get(`http://${name}/x?key=SECRET`)));
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(new RegExp(`^network http://${name}/x: ${name} could not be resolved \\(E[A-Z]+\\)$`));
    await http.close();
  });

  it('through the system resolver too', async () => {
    const http = createOutboundHttp({ allow: [] });
    const error = await failure(http.request(get('http://does-not-exist.invalid/')));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('does-not-exist.invalid could not be resolved');
    await http.close();
  });
});
