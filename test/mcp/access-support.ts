import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { StoredAuditEntry } from '../../src/db/audit-store.ts';
import type { RunningToolport } from '../support/toolport.ts';
import type { LegacyConnection } from './support.ts';

/**
 * MCP clients that present a credential, and keys made as an operator makes
 * them, for the per-caller access tests (access.*.test.ts).
 */

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Env of a Toolport that asks every caller for a credential. */
export const KEYED_ENV = { TOOLPORT_AUTH: 'required', TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN };

export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** The SDK v2 client: 2026-07-28 (`auto` finds it), or the 2025 handshake with `era: 'legacy'`. */
export async function connectModernAs(baseUrl: string, token: string | undefined, era: 'auto' | 'legacy' = 'auto'): Promise<Client> {
  const client = new Client({ name: 'toolport-access-v2', version: '1.0.0' }, { versionNegotiation: { mode: era } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: bearer(token) } }));
  return client;
}

/** The SDK v1 client (2025-11-25, sessions). */
export async function connectLegacyAs(baseUrl: string, token: string | undefined): Promise<LegacyConnection> {
  const client = new V1Client({ name: 'toolport-access-v1', version: '1.0.0' });
  const transport = new V1Transport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: bearer(token) } });
  await client.connect(transport);
  return { client, transport };
}

export interface TestKey {
  id: string;
  key: string;
  actor: string;
}

export async function createKey(app: RunningToolport, name: string, scopes: string[], extra: { rate?: string; expiresIn?: string } = {}): Promise<TestKey> {
  const created = await app.toolport.access.keys.create('admin-token', { name, scopes, ...extra });
  return { id: created.id, key: created.key, actor: `key:${created.id}` };
}

/** The audit entries of one actor (after flushing this process's queue). */
export async function auditOf(app: RunningToolport, actor: string): Promise<StoredAuditEntry[]> {
  await app.toolport.access.audit.flush();
  return (await app.toolport.access.auditStore.list({ actor, limit: 100 })).entries;
}

/** The JSON-RPC error of a failed client call, whichever SDK threw it. */
export async function rpcErrorOf(promise: Promise<unknown>): Promise<{ code: number; message: string; data?: unknown }> {
  try {
    await promise;
  } catch (error) {
    const { code, message, data } = error as { code: number; message: string; data?: unknown };
    // v1's McpError prefixes its message with "MCP error <code>: ".
    return { code, message: message.replace(/^MCP error -?\d+: /, ''), data };
  }
  throw new Error('expected the call to fail with a JSON-RPC error');
}
