import type { LoadRequest } from './load-types.ts';
import type { Side } from './measure.ts';

/**
 * The requests the bench sends, built the way a client sends them on the wire
 * (what test/mcp/support.ts and the README's curl examples do), and the
 * "capture" step: one request sent before the load, checked for the right
 * content, whose exact bytes then become the expected body of every response
 * under load (and the floor's prebuilt answer).
 */

export const MODERN = '2026-07-28';
export const LEGACY = '2025-11-25';
const PROBE_ID = 424242;

/** The pure tool call: explicit prices, so no provider and a deterministic answer (value 1,900). */
export const PORTFOLIO_ARGS = { positions: [{ symbol: 'AAPL', quantity: 10, price: 190, costBasis: 150 }] };
export const PORTFOLIO_TOOL = 'calculate_portfolio';

const JSON_HEADERS = { 'content-type': 'application/json' };
const MCP_ACCEPT = { ...JSON_HEADERS, accept: 'application/json, text/event-stream' };

/** A request template: `"id":__BENCH_ID__` in the body is filled in per request. */
export type Template = Omit<LoadRequest, 'expect'>;

export function restCall(): Template {
  return { method: 'POST', path: '/tools/call', headers: JSON_HEADERS, body: JSON.stringify({ name: PORTFOLIO_TOOL, arguments: PORTFOLIO_ARGS }) };
}

export function restList(): Template {
  return { method: 'GET', path: '/tools?limit=all', headers: {} };
}

function rpc(method: string, params: Record<string, unknown>): string {
  return `{"jsonrpc":"2.0","id":__BENCH_ID__,"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
}

/** A 2026-07-28 stateless request: the `_meta` envelope plus the MCP-Protocol-Version / Mcp-Method / Mcp-Name headers. */
export function modern(method: string, params: Record<string, unknown>, name?: string): Template {
  const meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'toolport-bench', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  return {
    method: 'POST',
    path: '/mcp',
    headers: { ...MCP_ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': method, ...(name ? { 'mcp-name': name } : {}) },
    body: rpc(method, { ...params, _meta: meta }),
  };
}

/** A 2025-era request (inside a session: the load generator adds Mcp-Session-Id per connection). */
export function legacy(method: string, params: Record<string, unknown>): Template {
  return { method: 'POST', path: '/mcp', headers: { ...MCP_ACCEPT, 'mcp-protocol-version': LEGACY }, body: rpc(method, params) };
}

export interface Captured {
  status: number;
  contentType: string;
  /** The exact body, with the probe id. */
  body: string;
  /** The body with the probe id replaced by __BENCH_ID__ (equal to `body` when there is none). */
  template: string;
  /** The JSON-RPC result / REST JSON, parsed (SSE: the data line). */
  json: unknown;
}

export function parseBody(contentType: string, body: string): unknown {
  if (contentType.startsWith('text/event-stream')) {
    const data = body
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .filter(Boolean);
    if (data.length !== 1) throw new Error(`expected one SSE data line, got ${data.length}: ${body.slice(0, 300)}`);
    return JSON.parse(data[0]!);
  }
  return JSON.parse(body);
}

/** Send one request (probe id, optional session) and return its exact answer. */
export async function capture(baseUrl: string, request: Template, extraHeaders: Record<string, string> = {}): Promise<Captured> {
  const body = request.body?.replace('__BENCH_ID__', String(PROBE_ID));
  const response = await fetch(baseUrl + request.path, { method: request.method, headers: { ...request.headers, ...extraHeaders }, ...(body ? { body } : {}) });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const probe = `"id":${PROBE_ID}`;
  const occurrences = text.split(probe).length - 1;
  if (request.body?.includes('__BENCH_ID__') && occurrences !== 1) {
    throw new Error(
      `${request.method} ${baseUrl}${request.path}: expected the request id once in the answer, found it ${occurrences} times (status ${response.status}): ${text.slice(0, 400)}`,
    );
  }
  let json: unknown;
  try {
    json = parseBody(contentType, text);
  } catch (error) {
    throw new Error(
      `${request.method} ${baseUrl}${request.path}: unparseable answer (status ${response.status}, ${contentType}): ${(error as Error).message}\n${text.slice(0, 400)}`,
    );
  }
  return { status: response.status, contentType, body: text, template: text.replace(probe, '"id":__BENCH_ID__'), json };
}

/** Throw unless `ok`; the message names what was wrong and shows the answer. */
export function check(ok: boolean, what: string, captured: Captured): void {
  if (!ok) throw new Error(`unexpected answer for ${what} (status ${captured.status}): ${captured.body.slice(0, 600)}`);
}

type Json = Record<string, any>;

export function rpcResult(captured: Captured): Json | undefined {
  return (captured.json as Json)?.result;
}

/** Open a 2025-era session: initialize, then notifications/initialized; returns its Mcp-Session-Id. */
export async function openLegacySession(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: MCP_ACCEPT,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'toolport-bench', version: '1.0.0' } },
    }),
  });
  const text = await response.text();
  const session = response.headers.get('mcp-session-id');
  if (response.status !== 200 || !session) throw new Error(`initialize on ${baseUrl}: ${response.status} ${text.slice(0, 300)}`);
  const initialized = await fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: { ...MCP_ACCEPT, 'mcp-session-id': session, 'mcp-protocol-version': LEGACY },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.text();
  if (initialized.status !== 202) throw new Error(`notifications/initialized on ${baseUrl}: ${initialized.status}`);
  return session;
}

export async function closeLegacySession(baseUrl: string, session: string): Promise<void> {
  await fetch(`${baseUrl}/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': session, 'mcp-protocol-version': LEGACY } })
    .then((response) => response.text())
    .catch(() => {});
}

/** A Toolport side that sends `template`: captured once, checked with `ok`, then expected byte for byte under load. */
export async function capturedSide(url: string, template: Template, what: string, ok: (json: any) => boolean): Promise<Side> {
  const captured = await capture(url, template);
  check(captured.status === 200 && ok(captured.json), what, captured);
  const request: LoadRequest = { ...template, expect: { status: 200, body: captured.template } };
  return { target: 'toolport', url, requests: [request], requestsPerUnit: 1, bodyBytesPerUnit: Buffer.byteLength(captured.body) };
}
