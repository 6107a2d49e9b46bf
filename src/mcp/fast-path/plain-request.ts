import { isObject } from '../../shared/json.ts';

/**
 * Recognizes a *plain* 2026-07-28 request: the standard headers, a single
 * JSON-RPC request with the three envelope keys in `_meta` and nothing else
 * unusual. Only such requests may take Toolport's cached or direct answers;
 * anything else (batches, progress tokens, extra headers or keys) goes to the
 * SDK, which validates it and answers as the spec says.
 */
export const MODERN_PROTOCOL = '2026-07-28';

const META_KEYS = new Set(['io.modelcontextprotocol/protocolVersion', 'io.modelcontextprotocol/clientInfo', 'io.modelcontextprotocol/clientCapabilities']);
const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

export interface PlainRequest {
  id: string | number;
  params: Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

export function matchPlainRequest(request: Request, body: unknown, method: string, paramKeys: ReadonlySet<string>): PlainRequest | undefined {
  const headers = request.headers;
  if (headers.get('mcp-protocol-version') !== MODERN_PROTOCOL || headers.get('mcp-method') !== method) return undefined;
  const accept = headers.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  for (const name of headers.keys()) if (name.startsWith('mcp-param-')) return undefined;
  if (!isObject(body) || !onlyKeys(body, REQUEST_KEYS) || body.jsonrpc !== '2.0' || body.method !== method) return undefined;
  const id = body.id;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) return undefined;
  const params = body.params;
  if (!isObject(params) || !onlyKeys(params, paramKeys)) return undefined;
  const meta = params._meta;
  if (!isObject(meta) || !onlyKeys(meta, META_KEYS) || meta['io.modelcontextprotocol/protocolVersion'] !== MODERN_PROTOCOL) return undefined;
  const client = meta['io.modelcontextprotocol/clientInfo'];
  if (!isObject(client) || typeof client.name !== 'string' || typeof client.version !== 'string') return undefined;
  if (!isObject(meta['io.modelcontextprotocol/clientCapabilities'])) return undefined;
  return { id, params };
}

const PREFIX = Buffer.from('{"result":');
const JSONRPC = Buffer.from(',"jsonrpc":"2.0","id":');
const CLOSE = Buffer.from('}');

/** A JSON-RPC result in the SDK's member order, so direct and SDK answers are byte-identical. */
export class EncodedResult {
  readonly chunks: Buffer[];
  readonly length: number;

  constructor(result: Buffer, id: string | number) {
    this.chunks = [PREFIX, result, JSONRPC, Buffer.from(JSON.stringify(id)), CLOSE];
    this.length = this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  toResponse(): Response {
    return new Response(Buffer.concat(this.chunks, this.length), { status: 200, headers: { 'content-type': 'application/json' } });
  }
}

export function resultResponse(result: Buffer, id: string | number): Response {
  return new EncodedResult(result, id).toResponse();
}

/** A JSON-RPC error response as the SDK's 2026-07-28 leg sends one for a handler's ProtocolError (same members, order and status). */
export function errorResponse(error: { code: number; message: string; data?: unknown }, id: string | number): Response {
  const body = {
    jsonrpc: '2.0',
    id,
    error: error.data === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, data: error.data },
  };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}
