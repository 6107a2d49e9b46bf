import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer, KEYED_ENV } from '../mcp/access-support.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function rawRequest(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** GET / on every listener, and the one error envelope: code, message, server, requestId, timestamp. */
describe.each(backends)('the index and the error envelope (%s)', (backend) => {
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_GATEWAY_PORT: '0' });

  it('GET / answers a small public index with the links of that listener, prefixed on the gateway', async () => {
    const own = await fetch(`${t.app.urls.finance}/`);
    expect(own.status).toBe(200);
    const body = (await own.json()) as { name: string; version: string; server: string; links: Record<string, string> };
    expect(body).toMatchObject({ name: 'toolport', server: 'finance', links: { health: '/health', tools: '/tools', mcp: '/mcp', metrics: '/metrics' } });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    const path = (await (await fetch(`${t.app.gatewayUrl}/finance/`)).json()) as typeof body;
    expect(path.links.mcp).toBe('/finance/mcp');
    for (const link of Object.values(path.links).filter((link) => !/metrics|registry|servers/.test(link))) {
      const answer = await fetch(`${t.app.gatewayUrl}${link}`, { headers: bearer(ADMIN_TOKEN) });
      expect(answer.status, link).not.toBe(404);
    }
    const root = (await (await fetch(`${t.app.gatewayUrl}/`)).json()) as typeof body;
    expect(root.server).toBe('toolport');
  });

  it('every error body carries code, message, server, the request id of the X-Request-Id header and a timestamp', async () => {
    const checks: [string, RequestInit, number][] = [
      [`${t.app.urls.finance}/no/such/route`, { headers: bearer(ADMIN_TOKEN) }, 404],
      [`${t.app.urls.finance}/tools`, {}, 401],
      [`${t.app.urls.finance}/tools`, { method: 'POST', headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' }, body: '{"name": 1}' }, 400],
      [`${t.app.gatewayUrl}/nosuchserver/tools`, {}, 404],
    ];
    for (const [url, init, status] of checks) {
      const response = await fetch(url, init);
      expect(response.status, url).toBe(status);
      const { error } = (await response.json()) as { error: Record<string, unknown> };
      expect(error).toMatchObject({ code: expect.any(String), message: expect.any(String), server: expect.any(String) });
      expect(error.requestId, url).toBe(response.headers.get('x-request-id'));
      expect(error.timestamp).toMatch(ISO);
      expect(Math.abs(Date.parse(error.timestamp as string) - Date.now())).toBeLessThan(60_000);
    }
    const mine = await fetch(`${t.app.urls.finance}/no/such/route`, { headers: { ...bearer(ADMIN_TOKEN), 'x-request-id': 'trace-4711' } });
    expect(((await mine.json()) as { error: { requestId: string } }).error.requestId).toBe('trace-4711');
  });

  it('an answer Node’s parser refuses carries the envelope and a request id too', async () => {
    const answer = await rawRequest(t.app.urls.finance!, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    const id = /x-request-id: (\S+)/i.exec(answer)?.[1];
    expect(id).toBeDefined();
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { requestId: string; timestamp: string } };
    expect(body.error.requestId).toBe(id);
    expect(body.error.timestamp).toMatch(ISO);
  });
});
