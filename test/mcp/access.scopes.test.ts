import { describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { auditOf, bearer, connectLegacyAs, connectModernAs, createKey, KEYED_ENV, rpcErrorOf } from './access-support.ts';
import { MODERN_META, postMcp } from './support.ts';

const PORTFOLIO = { positions: [{ symbol: 'X', quantity: 2, price: 3 }] };
const FINANCE_TOOLS = ['calculate_portfolio', 'get_financial_news', 'get_stock_price'];

/** A hand-written 2026-07-28 request with a credential (what the fast path answers once it has learned a view). */
function postModernAs(baseUrl: string, key: string, method: string, id: number, params: Record<string, unknown>, name?: string) {
  const headers: Record<string, string> = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...bearer(key) };
  if (name !== undefined) headers['mcp-name'] = name;
  return postMcp(baseUrl, { jsonrpc: '2.0', id, method, params }, headers);
}

function callModern(baseUrl: string, key: string, id: number, name: string, args: Record<string, unknown>) {
  return postModernAs(baseUrl, key, 'tools/call', id, { _meta: MODERN_META, name, arguments: args }, name);
}

/** What each caller sees and may call on /mcp, and that every call is made (and counted) once, for that caller. */
describe.each(backends)('/mcp per-caller lists and calls (%s)', (backend) => {
  const t = useToolport(backend, KEYED_ENV);
  const finance = () => t.app.urls.finance!;

  it('a finance:call key lists and calls finance tools only; utility refuses it', async () => {
    const made = await createKey(t.app, 'finance-caller', ['finance:call']);
    const modern = await connectModernAs(finance(), made.key);
    expect((await modern.listTools()).tools.map((tool) => tool.name).sort()).toEqual(FINANCE_TOOLS);
    expect((await modern.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO })).isError).toBeFalsy();
    await modern.close();
    const { client } = await connectLegacyAs(finance(), made.key);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(FINANCE_TOOLS);
    await client.close();
    await expect(connectModernAs(t.app.urls.utility!, made.key)).rejects.toThrow();
    expect((await postMcp(t.app.urls.utility!, { jsonrpc: '2.0', id: 1, method: 'ping' }, bearer(made.key))).status).toBe(403);
  });

  it('the principal reaches the call path in every era and on the fast path: one audit entry per call, with its actor', async () => {
    const made = await createKey(t.app, 'audited', ['finance:call']);
    const modern = await connectModernAs(finance(), made.key);
    await modern.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO });
    await modern.close();
    const v2legacy = await connectModernAs(finance(), made.key, 'legacy');
    expect(v2legacy.getNegotiatedProtocolVersion()).not.toBe('2026-07-28');
    await v2legacy.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO });
    await v2legacy.close();
    const { client } = await connectLegacyAs(finance(), made.key);
    await client.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO });
    await client.close();
    // Plain 2026-07-28 calls: the first may go through the SDK, the rest through the fast path; unknown names too.
    for (let id = 1; id <= 3; id++) expect((await callModern(finance(), made.key, id, 'calculate_portfolio', PORTFOLIO)).status).toBe(200);
    for (let id = 4; id <= 5; id++) {
      const unknown = await (await callModern(finance(), made.key, id, 'no_such_tool', {})).json();
      expect(unknown).toEqual({ jsonrpc: '2.0', id, error: { code: -32602, message: 'No tool named "no_such_tool" on server "finance"' } });
    }
    const entries = await auditOf(t.app, made.actor);
    expect(entries.filter((entry) => entry.tool === 'calculate_portfolio' && entry.outcome === 'ok')).toHaveLength(6);
    expect(entries.filter((entry) => entry.tool === 'no_such_tool')).toHaveLength(2);
    expect(entries).toHaveLength(8);
  });

  it('each call is audited with its request id, which comes back as X-Request-Id, on the SDK and the fast path', async () => {
    const made = await createKey(t.app, 'request-ids', ['finance:call']);
    const ids: (string | null)[] = [];
    for (let id = 1; id <= 3; id++) {
      const response = await callModern(finance(), made.key, id, 'calculate_portfolio', PORTFOLIO);
      expect(response.status).toBe(200);
      await response.text();
      ids.push(response.headers.get('x-request-id'));
    }
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect((await auditOf(t.app, made.actor)).map((entry) => entry.requestId).sort()).toEqual([...ids].sort());
    // Cached list pages are written straight to the socket: they carry it too.
    for (let id = 1; id <= 2; id++) {
      const list = await postModernAs(finance(), made.key, 'tools/list', id, { _meta: MODERN_META });
      await list.text();
      expect(list.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    }
  });

  it('a list-only key sees every tool but calling one is -32003 naming finance:call, in both eras and on the fast path', async () => {
    const caller = await createKey(t.app, 'warms-the-fast-path', ['finance:call']);
    await callModern(finance(), caller.key, 1, 'calculate_portfolio', PORTFOLIO);
    const made = await createKey(t.app, 'lister', ['finance:list']);
    const modern = await connectModernAs(finance(), made.key);
    expect((await modern.listTools()).tools).toHaveLength(3);
    const refused = await rpcErrorOf(modern.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO }));
    expect(refused).toMatchObject({ code: -32003, message: expect.stringContaining('finance:call'), data: { scope: 'finance:call' } });
    await modern.close();
    const { client } = await connectLegacyAs(finance(), made.key);
    expect(await rpcErrorOf(client.callTool({ name: 'get_stock_price', arguments: { symbol: 'IBM' } }))).toMatchObject({
      code: -32003,
      data: { scope: 'finance:call' },
    });
    await client.close();
    const direct = await (await callModern(finance(), made.key, 7, 'calculate_portfolio', PORTFOLIO)).json();
    expect(direct).toMatchObject({ jsonrpc: '2.0', id: 7, error: { code: -32003, data: { scope: 'finance:call' } } });
    expect((await auditOf(t.app, made.actor)).map((entry) => entry.outcome)).toEqual(['forbidden', 'forbidden', 'forbidden']);
  });

  it('a tool glob key lists only its tools; a tool outside the glob answers exactly like an unknown one', async () => {
    const made = await createKey(t.app, 'getters', ['finance:call:get_*']);
    const modern = await connectModernAs(finance(), made.key);
    expect((await modern.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['get_financial_news', 'get_stock_price']);
    const hidden = await rpcErrorOf(modern.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO }));
    const unknown = await rpcErrorOf(modern.callTool({ name: 'calculate_nothing', arguments: PORTFOLIO }));
    expect(hidden).toEqual({ ...unknown, message: unknown.message.replace('calculate_nothing', 'calculate_portfolio') });
    expect(hidden.code).toBe(-32602);
    await modern.close();
    const { client } = await connectLegacyAs(finance(), made.key);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(['get_financial_news', 'get_stock_price']);
    const hiddenV1 = await rpcErrorOf(client.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO }));
    const unknownV1 = await rpcErrorOf(client.callTool({ name: 'calculate_nothing', arguments: PORTFOLIO }));
    expect(hiddenV1).toEqual({ ...unknownV1, message: unknownV1.message.replace('calculate_nothing', 'calculate_portfolio') });
    await client.close();
    // Raw plain requests, byte for byte (the fast path, once warm, must not tell them apart either).
    for (let id = 1; id <= 2; id++) {
      const a = await (await callModern(finance(), made.key, id, 'calculate_portfolio', PORTFOLIO)).text();
      const b = await (await callModern(finance(), made.key, id, 'calculate_nothing', PORTFOLIO)).text();
      expect(a).toBe(b.replace('calculate_nothing', 'calculate_portfolio'));
    }
  });

  it('a filtered tools/list on 2026-07-28 is cacheScope private, from the SDK and from the fast-path cache', async () => {
    const made = await createKey(t.app, 'private-lists', ['finance:list:get_*']);
    const pages = [];
    for (let id = 1; id <= 3; id++) {
      const response = await postModernAs(finance(), made.key, 'tools/list', id, { _meta: MODERN_META });
      expect(response.status).toBe(200);
      pages.push(((await response.json()) as any).result);
    }
    for (const page of pages) {
      expect(page.cacheScope).toBe('private');
      expect(page.tools.map((tool: { name: string }) => tool.name).sort()).toEqual(['get_financial_news', 'get_stock_price']);
    }
    expect(pages[2]).toEqual(pages[0]);
  });

  it('rate limits count each call once and refuse with -32029 and when to retry', async () => {
    const made = await createKey(t.app, 'limited', ['finance:call'], { rate: '3/min' });
    // Warm the fast path of this class first (another key), so the limited calls take both paths.
    const warm = await createKey(t.app, 'warm', ['finance:call']);
    await callModern(finance(), warm.key, 1, 'calculate_portfolio', PORTFOLIO);
    const modern = await connectModernAs(finance(), made.key);
    expect((await modern.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO })).isError).toBeFalsy();
    await modern.close();
    for (let id = 1; id <= 2; id++) expect((await callModern(finance(), made.key, id, 'calculate_portfolio', PORTFOLIO)).status).toBe(200);
    const limited = await (await callModern(finance(), made.key, 3, 'calculate_portfolio', PORTFOLIO)).json();
    expect(limited).toMatchObject({
      jsonrpc: '2.0',
      id: 3,
      error: {
        code: -32029,
        message: expect.stringMatching(/Too many requests/),
        data: { retryAfterMs: expect.any(Number), retryAfterSeconds: expect.any(Number), limit: '3/min' },
      },
    });
    const { client } = await connectLegacyAs(finance(), made.key);
    expect(await rpcErrorOf(client.callTool({ name: 'calculate_portfolio', arguments: PORTFOLIO }))).toMatchObject({ code: -32029, data: { limit: '3/min' } });
    await client.close();
  });
});
