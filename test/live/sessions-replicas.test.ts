import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIALIZE, postMcp, registerTool } from '../mcp/support.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { type ServeProcess, startServeProcess } from '../support/serve-process.ts';
import { within } from './within.ts';

if (!TEST_DATABASE_URL) console.warn('test/live/sessions-replicas: skipped — set TEST_DATABASE_URL to a PostgreSQL server to run it');

/**
 * 2025-era sessions without sticky routing: two real Toolport processes on
 * one PostgreSQL database, and clients whose requests land on either.
 */
const VERSION = '2025-11-25';
const IDLE_MS = 4000;

const headersOf = (session: string) => ({ 'mcp-session-id': session, 'mcp-protocol-version': VERSION });
const listOn = (url: string, session: string, id = 2) => postMcp(url, { jsonrpc: '2.0', id, method: 'tools/list', params: {} }, headersOf(session));

async function initializeOn(url: string): Promise<string> {
  const response = await postMcp(url, INITIALIZE);
  await response.text();
  expect(response.status).toBe(200);
  const session = response.headers.get('mcp-session-id')!;
  const initialized = await postMcp(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headersOf(session));
  expect(initialized.status).toBe(202);
  return session;
}

/** The JSON-RPC message of an answer (a JSON body, or the last SSE data line). */
async function messageOf(response: Response): Promise<any> {
  const text = await response.text();
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return JSON.parse(text);
  return JSON.parse(
    text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .at(-1)!
      .slice(6),
  );
}

/** A GET notification stream: the methods of the messages it has received so far. */
async function openStream(url: string, session: string): Promise<{ methods: string[]; close: () => void }> {
  const controller = new AbortController();
  const response = await fetch(`${url}/mcp`, { headers: { accept: 'text/event-stream', ...headersOf(session) }, signal: controller.signal });
  expect(response.status).toBe(200);
  const methods: string[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += value;
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) if (line.startsWith('data: ')) methods.push(JSON.parse(line.slice(6)).method);
      }
    } catch {
      // aborted
    }
  })();
  return { methods, close: () => controller.abort() };
}

describe.skipIf(!TEST_DATABASE_URL)('2025-era sessions on any replica (two real processes, one PostgreSQL)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let sql: postgres.Sql;
  let a: ServeProcess;
  let b: ServeProcess;
  let onA: string;
  let onB: string;

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    sql = postgres(url, { max: 1, onnotice: () => {} });
    const env = { DATABASE_URL: url, TOOLPORT_MCP_SESSION_IDLE_MS: String(IDLE_MS) };
    a = await startServeProcess(env, ['finance'], 'bin');
    b = await startServeProcess(env, ['finance'], 'bin');
    onA = a.urls.finance!;
    onB = b.urls.finance!;
  }, 180_000);
  afterAll(async () => {
    await Promise.all([a?.child.kill(), b?.child.kill()]);
    await sql?.end();
    await drop?.();
  });

  it('initialize on A; list, call and stream on B; register on A, notified on B; DELETE on B, 404 on A', async () => {
    const session = await initializeOn(onA);
    const [row] = await sql`select server_id, actor, protocol_version, client_info from mcp_sessions where id = ${session}`;
    expect(row).toMatchObject({ server_id: 'finance', actor: 'local', protocol_version: VERSION, client_info: { name: 'curl', version: '0' } });

    const listed = await messageOf(await listOn(onB, session));
    expect(listed.result.tools.map((tool: { name: string }) => tool.name)).toContain('get_stock_price');
    const called = await messageOf(
      await postMcp(
        onB,
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_stock_price', arguments: { symbol: 'MSFT' } } },
        headersOf(session),
      ),
    );
    expect(called.result.structuredContent).toMatchObject({ symbol: 'MSFT' });

    const stream = await openStream(onB, session);
    try {
      await registerTool(onA, 'registered_on_a');
      await within(5000, async () => (stream.methods.includes('notifications/tools/list_changed') ? true : undefined), 'list_changed on B');
      const relisted = await messageOf(await listOn(onB, session, 4));
      expect(relisted.result.tools.map((tool: { name: string }) => tool.name)).toContain('registered_on_a');
    } finally {
      stream.close();
    }

    const ended = await fetch(`${onB}/mcp`, { method: 'DELETE', headers: headersOf(session) });
    expect(ended.status).toBe(200);
    const started = Date.now();
    await within(1000, async () => ((await listOn(onA, session, 5)).status === 404 ? true : undefined), '404 on A');
    console.info(`sessions-replicas: DELETE on B reached A in ${Date.now() - started} ms`);
    expect(await sql`select id from mcp_sessions where id = ${session}`).toEqual([]);
    expect((await listOn(onB, session, 6)).status).toBe(404);
  });

  it('an SDK v1 client behind a round-robin balancer: every request on the other process than the one before', async () => {
    let turn = 0;
    const seen = { a: 0, b: 0 };
    const balanced: typeof fetch = (input, init) => {
      const target = turn++ % 2 === 0 ? onA : onB;
      seen[target === onA ? 'a' : 'b']++;
      const path = new URL(input instanceof Request ? input.url : String(input)).pathname;
      return fetch(`${target}${path}`, init);
    };
    const client = new V1Client({ name: 'balanced', version: '1' });
    await client.connect(new V1Transport(new URL(`${onA}/mcp`), { fetch: balanced }));
    try {
      for (let round = 0; round < 4; round++) {
        expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('get_stock_price');
        const result = await client.callTool({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } });
        expect(result.structuredContent).toMatchObject({ symbol: 'AAPL' });
      }
    } finally {
      await client.close();
    }
    expect(seen.a).toBeGreaterThan(3);
    expect(seen.b).toBeGreaterThan(3);
  });

  it('idle expiry is shared: a session used only on B stays alive on A; unused, it ends on both', async () => {
    const busy = await initializeOn(onA);
    const idle = await initializeOn(onA);
    const until = Date.now() + IDLE_MS * 2;
    while (Date.now() < until) {
      expect((await listOn(onB, busy)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    // Unused on A for twice the idle time, but used on B all along.
    expect((await listOn(onA, busy)).status).toBe(200);
    // Used on neither: the sweep deletes it (idle + two flushes at most), then both answer 404.
    await within(IDLE_MS, async () => ((await sql`select id from mcp_sessions where id = ${idle}`).length === 0 ? true : undefined), 'idle row swept');
    expect((await listOn(onA, idle)).status).toBe(404);
    expect((await listOn(onB, idle)).status).toBe(404);
  }, 60_000);
});
