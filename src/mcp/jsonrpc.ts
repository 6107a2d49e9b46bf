/**
 * Everything /mcp answers outside the SDK is still a JSON-RPC error object:
 * MCP clients parse the body of a failed HTTP response as JSON-RPC, so the
 * REST error envelope would reach them as an unreadable failure.
 */

/** -32000..-32099 is JSON-RPC's implementation-defined server error range. */
export const SERVER_ERROR = -32000;
export const PARSE_ERROR = -32700;
/** The code the SDK (and so most clients) use for an unknown Mcp-Session-Id. */
export const SESSION_NOT_FOUND = -32001;
/** Access refusals (documented in the README): a missing or wrong credential (HTTP 401), */
export const UNAUTHORIZED = -32001;
/** a scope the caller lacks (`data.scope`), */
export const FORBIDDEN = -32003;
/** a rate limit used up (`data.retryAfterMs`, `retryAfterSeconds`, `limit`). */
export const RATE_LIMITED = -32029;

export type JsonRpcId = string | number | null;

export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  options: { id?: JsonRpcId; headers?: Record<string, string>; data?: unknown } = {},
): Response {
  const error = options.data === undefined ? { code, message } : { code, message, data: options.data };
  return Response.json({ jsonrpc: '2.0', error, id: options.id ?? null }, { status, headers: { 'content-type': 'application/json', ...options.headers } });
}

/** The id of a single JSON-RPC request body, so an error can be matched to it. */
export function requestIdOf(body: unknown): JsonRpcId {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const id = (body as { id?: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return id;
  }
  return null;
}
