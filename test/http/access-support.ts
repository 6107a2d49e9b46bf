// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { AccessControl } from '../../src/auth/access.ts';
import type { KeyResolution } from '../../src/auth/key-ring.ts';
import { type AuthPolicy, authPolicy } from '../../src/auth/policy.ts';
import { type Logger, silentLogger } from '../../src/shared/logger.ts';

/**
 * An AccessControl as main/access-runtime.ts builds it, for the REST tests
 * that mount single routes on an app of their own (no OAuth servers).
 */
export function accessFor(options: {
  policy: AuthPolicy;
  adminToken: string | undefined;
  keys?: { resolve(presented: string): KeyResolution } | undefined;
  logger?: Logger;
}): AccessControl {
  return new AccessControl({
    adminToken: options.adminToken,
    keys: options.keys,
    decision: authPolicy({ bindHosts: ['127.0.0.1'], configured: options.policy }),
    oauthOf: () => null,
    logger: options.logger ?? silentLogger,
  });
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A Toolport that asks every caller for a credential (finance and utility listeners). */
export const REQUIRED_ENV = { TOOLPORT_AUTH: 'required', TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN };

export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** fetch with a JSON body; every answer's text is kept, to prove no secret is ever in one. */
export function restClient() {
  const texts: string[] = [];
  async function send(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    texts.push(`${[...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n${text}`);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`expected JSON from ${method} ${url}, got ${response.status}: ${text.slice(0, 200)}`);
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }
  return { send, texts };
}

/** One request of each REST route group of a server's listener (its own tools: finance). */
export interface RouteProbe {
  group: string;
  method: string;
  path: string;
  body?: unknown;
}

const TINY_OPENAPI = {
  openapi: '3.0.0',
  info: { title: 'Probe', version: '1' },
  servers: [{ url: 'https://api.example.com' }],
  paths: { '/ping': { get: { operationId: 'probe_ping', responses: { '200': { description: 'ok' } } } } },
};

export const ROUTE_PROBES: RouteProbe[] = [
  { group: 'reads', method: 'GET', path: '/tools' },
  { group: 'reads', method: 'GET', path: '/tools/get_stock_price' },
  { group: 'call', method: 'POST', path: '/tools/call', body: { name: 'get_stock_price', arguments: { symbol: 'AAPL' } } },
  { group: 'writes', method: 'POST', path: '/tools', body: { name: 'probe_tool', description: 'probe', handler: 'get_time' } },
  { group: 'writes', method: 'PATCH', path: '/tools/get_stock_price', body: { description: 'hijacked' } },
  { group: 'writes', method: 'DELETE', path: '/tools/get_financial_news' },
  { group: 'import', method: 'POST', path: '/tools/import/openapi', body: { document: TINY_OPENAPI } },
  { group: 'packs', method: 'POST', path: '/tools/packs/database', body: { source: 'samples', mode: 'user_ro', prefix: 'probe' } },
  { group: 'data-sources', method: 'GET', path: '/data-sources' },
  { group: 'data-sources', method: 'POST', path: '/data-sources', body: { id: 'probe-source', url: '${secret:PROBE_DB_URL}' } },
  { group: 'keys', method: 'GET', path: '/keys' },
  { group: 'keys', method: 'POST', path: '/keys', body: { name: 'probe-key', scopes: ['admin'] } },
  { group: 'audit', method: 'GET', path: '/audit' },
  { group: 'info', method: 'GET', path: '/info' },
  { group: 'handlers', method: 'GET', path: '/handlers' },
];

export { TINY_OPENAPI };
