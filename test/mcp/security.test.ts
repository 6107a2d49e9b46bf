import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { INITIALIZE, postMcp } from './support.ts';

/** fetch() will not send a Host header of our choosing; node:http will. */
function postWithHost(url: string, host: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/mcp`,
      { method: 'POST', headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('MCP endpoint security and HTTP errors', () => {
  let db: TestDatabase;
  let app: RunningToolport;
  let finance: string;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    app = await startTestToolport(db, {
      TOOLPORT_ALLOWED_ORIGINS: 'https://inspector.example.com,tools.example.org',
      TOOLPORT_MAX_BODY_BYTES: '4096',
    });
    finance = app.urls.finance!;
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
  });

  it('a foreign Origin gets 403 as a JSON-RPC error, on every method', async () => {
    const post = await postMcp(finance, INITIALIZE, { origin: 'https://evil.example' });
    expect(post.status).toBe(403);
    expect(await post.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000, message: expect.stringMatching(/TOOLPORT_ALLOWED_ORIGINS/) } });
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${finance}/mcp`, { method, headers: { origin: 'https://evil.example', 'mcp-session-id': 'x' } });
      expect(response.status).toBe(403);
    }
    expect((await postMcp(finance, INITIALIZE, { origin: 'null' })).status).toBe(403);
    // An allowed host name on another port is still the listed origin only when listed as a full origin.
    expect((await postMcp(finance, INITIALIZE, { origin: 'https://inspector.example.com:8443' })).status).toBe(403);
  });

  it('localhost origins and the configured allow-list pass', async () => {
    for (const origin of ['http://localhost:6274', 'http://127.0.0.1:5173', 'https://inspector.example.com', 'http://tools.example.org:8080']) {
      const response = await postMcp(finance, INITIALIZE, { origin });
      expect(response.status, origin).toBe(200);
      await response.body?.cancel();
    }
  });

  it('a Host header that is not a loopback name gets 403 (DNS rebinding)', async () => {
    const port = new URL(finance).port;
    const rebound = await postWithHost(finance, `attacker.example:${port}`, INITIALIZE);
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { message: expect.stringMatching(/Invalid Host/) } });
    expect((await postWithHost(finance, `localhost:${port}`, INITIALIZE)).status).toBe(200);
  });

  it('bodies over TOOLPORT_MAX_BODY_BYTES get 413 as JSON-RPC', async () => {
    const big = { ...INITIALIZE, params: { ...INITIALIZE.params, padding: 'x'.repeat(5000) } };
    const response = await postMcp(finance, big);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringMatching(/4096 bytes/) } });
  });

  it('malformed JSON is -32700 and a non-JSON content type is 415', async () => {
    const malformed = await postMcp(finance, '{"jsonrpc": "2.0",');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: -32700 } });
    const form = await fetch(`${finance}/mcp`, { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
  });

  it('a hand-written 2026-07-28 request works with its envelope and headers, and says what is missing without them', async () => {
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'curl', version: '8' } };
    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'get_stock_price' };
    const call = (withCapabilities: boolean) =>
      postMcp(
        finance,
        {
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/call',
          params: {
            name: 'get_stock_price',
            arguments: { symbol: 'AAPL' },
            _meta: withCapabilities ? { ...meta, 'io.modelcontextprotocol/clientCapabilities': {} } : meta,
          },
        },
        headers,
      );
    const incomplete = await call(false);
    expect(incomplete.status).toBe(400);
    expect(((await incomplete.json()) as { error: unknown }).error).toMatchObject({ code: -32602, message: expect.stringMatching(/clientCapabilities/) });
    const complete = await call(true);
    expect(complete.status).toBe(200);
    expect(await complete.json()).toMatchObject({ id: 9, result: { structuredContent: { symbol: 'AAPL' } } });
  });
});
