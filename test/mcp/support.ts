import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

/**
 * The two client generations an MCP server meets: the SDK v2 client
 * negotiating 2026-07-28 (server/discover, per-request `_meta`, listen
 * streams) and the v1 client speaking 2025-11-25 (initialize, sessions, GET
 * stream).
 */

export async function connectModern(baseUrl: string): Promise<Client> {
  const client = new Client({ name: 'toolport-test-modern', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)));
  return client;
}

export interface LegacyConnection {
  client: V1Client;
  transport: V1Transport;
}

export async function connectLegacy(baseUrl: string): Promise<LegacyConnection> {
  const client = new V1Client({ name: 'toolport-test-legacy', version: '1.0.0' });
  const transport = new V1Transport(new URL(`${baseUrl}/mcp`));
  await client.connect(transport);
  return { client, transport };
}

/** Counts notifications/tools/list_changed received by a client. */
export interface ChangeCounter {
  readonly count: number;
  /** Resolves once `count` reaches `n`; rejects after `timeoutMs`. */
  reach(n: number, timeoutMs?: number): Promise<void>;
}

function counter(register: (onChange: () => void) => void): ChangeCounter {
  let count = 0;
  const waiters = new Set<() => void>();
  register(() => {
    count++;
    waiters.forEach((wake) => wake());
  });
  return {
    get count() {
      return count;
    },
    reach(n, timeoutMs = 2_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (count >= n) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${n} list_changed notification(s) within ${timeoutMs} ms, got ${count}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export function countModernChanges(client: Client): ChangeCounter {
  return counter((onChange) => client.setNotificationHandler('notifications/tools/list_changed', onChange));
}

export function countLegacyChanges(client: V1Client): ChangeCounter {
  return counter((onChange) => client.setNotificationHandler(ToolListChangedNotificationSchema, onChange));
}

/** Register a tool over REST on one server (port), as an operator would. */
export async function registerTool(baseUrl: string, name: string, handler = 'get_time'): Promise<void> {
  const response = await fetch(`${baseUrl}/tools`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, description: `test tool ${name}`, handler }),
  });
  if (response.status !== 201) throw new Error(`registering ${name}: ${response.status} ${await response.text()}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Longer than the coalescing window plus delivery: a notification that has
 * not arrived after this is not coming.
 */
export const QUIET_MS = 250;

/** The text blocks of a tool result (either SDK's result type). */
export function textOf(result: object): string {
  const content = ((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[];
  return content.map((block) => block.text ?? '').join('\n');
}

/** A raw JSON-RPC POST to /mcp (what curl would send). */
export function postMcp(baseUrl: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '0' } },
};

/** The `_meta` envelope every 2026-07-28 request carries. */
export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'curl', version: '8' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** A hand-written 2026-07-28 request with its standard headers (Mcp-Name when the method names a tool). */
export function postModern(baseUrl: string, method: string, id: number | string, params: Record<string, unknown>, name?: string): Promise<Response> {
  const headers: Record<string, string> = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method };
  if (name !== undefined) headers['mcp-name'] = name;
  return postMcp(baseUrl, { jsonrpc: '2.0', id, method, params }, headers);
}
