import { isObject } from '../../shared/json.ts';
import type { CallRequest } from './direct-call.ts';
import type { ListRequest } from './list-cache.ts';
import { isRequestId, onlyKeys } from './plain-request.ts';

/**
 * Recognizes a *plain* request on an established 2025-era session: one
 * JSON-RPC `tools/list` or `tools/call` (no batch), the session's own
 * protocol version in `Mcp-Protocol-Version`, an Accept header the SDK
 * would take (both media types), and nothing that needs the SDK's
 * machinery: no `_meta` (a progress token asks for notifications on an SSE
 * stream), no extra members. Only such requests are answered from the
 * catalog; everything else goes through the session's SDK transport.
 */
const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const LIST_PARAMS = new Set(['cursor', '_meta']);
const CALL_PARAMS = new Set(['name', 'arguments', '_meta']);

export type SessionRequest = ({ kind: 'list' } & ListRequest) | ({ kind: 'call' } & CallRequest);

/** `_meta` absent or empty: anything in it (a progress token above all) is the SDK's to handle. */
function plainMeta(params: Record<string, unknown>): boolean {
  const meta = params._meta;
  return meta === undefined || (isObject(meta) && Object.keys(meta).length === 0);
}

export function matchSessionRequest(request: Request, body: unknown, protocolVersion: string): SessionRequest | undefined {
  if (request.method !== 'POST') return undefined;
  const headers = request.headers;
  if (headers.get('mcp-protocol-version') !== protocolVersion) return undefined;
  const accept = headers.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (!isObject(body) || !onlyKeys(body, REQUEST_KEYS) || body.jsonrpc !== '2.0') return undefined;
  const id = body.id;
  if (!isRequestId(id)) return undefined;
  const params = body.params === undefined ? {} : body.params;
  if (!isObject(params) || !plainMeta(params)) return undefined;
  if (body.method === 'tools/list') {
    if (!onlyKeys(params, LIST_PARAMS)) return undefined;
    if (params.cursor !== undefined && typeof params.cursor !== 'string') return undefined;
    return { kind: 'list', id, cursor: (params.cursor as string | undefined) ?? '' };
  }
  if (body.method === 'tools/call') {
    if (!onlyKeys(params, CALL_PARAMS) || typeof params.name !== 'string') return undefined;
    const args = params.arguments;
    if (args !== undefined && !isObject(args)) return undefined;
    return { kind: 'call', id, name: params.name, args: args ?? {} };
  }
  return undefined;
}

/** A plain `notifications/cancelled` for a request id: the fast path may be running that request. */
export function cancelledRequestId(body: unknown): string | number | undefined {
  if (!isObject(body) || body.method !== 'notifications/cancelled' || 'id' in body || !isObject(body.params)) return undefined;
  const id = body.params.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
