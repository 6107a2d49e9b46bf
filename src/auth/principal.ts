/**
 * Who is calling, as every credential resolves to it (an API key, the
 * bootstrap admin token, an OAuth access token, an unauthenticated loopback
 * caller under TOOLPORT_AUTH=local-open): the actor recorded in the audit
 * log and passed to SQL tools as `toolport.caller`, and the scopes that
 * decide what it may see and do. The adapters (REST, MCP) resolve it once
 * per request; the domain only reads it.
 */

/** `list` tools/list & GET /tools…, `call` tools/call, `write` that server's tool writes and imports, `admin` everything. */
export type ScopeAction = 'list' | 'call' | 'write' | 'admin';

export const SCOPE_ACTIONS: readonly ScopeAction[] = ['list', 'call', 'write', 'admin'];

/** One grant: `<server|*>:<action>[:<tool-glob>]`, or the bare `admin` scope (server '*', action 'admin'). */
export interface Scope {
  server: string;
  action: ScopeAction;
  /** A picomatch glob over tool names; undefined = every tool of the server. */
  toolGlob?: string;
}

/** A rate limit: `600/min` → { requests: 600, perMs: 60_000 }. */
export interface RateSpec {
  requests: number;
  perMs: number;
}

export type PrincipalKind = 'key' | 'admin-token' | 'oauth' | 'local';

export interface Principal {
  kind: PrincipalKind;
  /** The audit log's actor and SQL tools' toolport.caller: `key:<id>`, `admin-token`, `oauth:<iss>#<sub>`, `local`. */
  actor: string;
  /** A readable name (the key's name, the token's subject). */
  name: string;
  /** The API key's id, when the credential is a key. */
  keyId?: string;
  scopes: readonly Scope[];
  /** The key's own rate limit, when it has one. */
  rateLimit?: RateSpec;
}
