import { describe, expect, it } from 'vitest';
import { localPrincipal } from '../../src/auth/credential.ts';
import { isLoopbackAddress } from '../../src/auth/policy.ts';
import { parseScope } from '../../src/auth/scopes.ts';
import { visibilityOf } from '../../src/auth/visibility.ts';
import type { McpEndpoint } from '../../src/mcp/endpoint.ts';
import { createScopedMcpEndpoints } from '../../src/mcp/scoped-endpoints.ts';
import { serverCatalog } from '../../src/registry/catalog.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { useToolport } from '../support/toolport.ts';
import { MODERN_META } from './support.ts';

/** One endpoint per visibility class, bounded: past the bound the least recently used class is closed. */
describe('scoped MCP endpoints (pglite)', () => {
  const t = useToolport('pglite');

  function build(maxClasses?: number) {
    const lines: Record<string, unknown>[] = [];
    const endpoints = createScopedMcpEndpoints({
      serverId: 'finance',
      catalog: serverCatalog(t.app.toolport.runtime.registry, 'finance'),
      caller: t.app.toolport.access.caller,
      logger: createLogger('warn', (line) => lines.push(JSON.parse(line))),
      version: 'test',
      bindHost: '127.0.0.1',
      allowedOrigins: [],
      maxBodyBytes: 65_536,
      maxJsonDepth: 64,
      sessionIdleMs: 60_000,
      maxSessions: 10,
      ...(maxClasses === undefined ? {} : { maxClasses }),
    });
    return { endpoints, lines };
  }

  const globOf = (glob: string) => visibilityOf([parseScope(`finance:list:${glob}`)], 'finance');
  const principal = localPrincipal(undefined);

  async function listNames(endpoint: McpEndpoint): Promise<string[] | number> {
    const request = new Request('http://127.0.0.1/mcp', {
      method: 'POST',
      headers: {
        host: '127.0.0.1',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: MODERN_META } }),
    });
    const answer = await endpoint.handle(request, principal);
    const response = answer instanceof Response ? answer : answer.toResponse();
    if (response.status !== 200) return response.status;
    return (((await response.json()) as any).result.tools as { name: string }[]).map((tool) => tool.name).sort();
  }

  it('the same class is the same endpoint; each lists what its class sees', async () => {
    const { endpoints } = build();
    const getters = globOf('get_*');
    expect(endpoints.for(getters)).toBe(endpoints.for(globOf('get_*')));
    expect(await listNames(endpoints.for(getters))).toEqual(['get_financial_news', 'get_stock_price']);
    expect(await listNames(endpoints.for(globOf('calc*')))).toEqual(['calculate_portfolio']);
    expect(await listNames(endpoints.for(visibilityOf([parseScope('finance:call')], 'finance')))).toHaveLength(3);
    await endpoints.close();
  });

  it('past the bound the least recently used class is closed, with a warning; close() ends them all', async () => {
    const { endpoints, lines } = build(2);
    const a = endpoints.for(globOf('a*'));
    const b = endpoints.for(globOf('b*'));
    endpoints.for(globOf('a*')); // a is now the most recently used
    endpoints.for(globOf('c*')); // evicts b
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/too many MCP visibility classes/), closed: globOf('b*').key }),
    ]);
    expect(await listNames(b)).toBe(503);
    expect(await listNames(a)).toEqual([]);
    expect(endpoints.for(globOf('a*'))).toBe(a);
    // b comes back as a new endpoint (and evicts the then least recently used, c).
    expect(endpoints.for(globOf('b*'))).not.toBe(b);
    await endpoints.close();
    expect(await listNames(a)).toBe(503);
    expect(await listNames(endpoints.for(globOf('a*')))).toBe(503);
  });
});

describe('isLoopbackAddress (who counts as local for local-open on /mcp)', () => {
  it('accepts 127.0.0.0/8, ::1 and IPv4-mapped loopback; nothing else', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(address), address).toBe(true);
    for (const address of ['10.0.0.1', '0.0.0.0', '::', '::ffff:10.0.0.1', '192.168.1.1', 'localhost', '', undefined]) {
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    }
  });
});
