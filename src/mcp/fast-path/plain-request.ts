import { isObject } from '../../shared/json.ts';

/**
 * Recognizes a *plain* 2026-07-28 request: the standard headers, a single
 * JSON-RPC request with the three envelope keys in `_meta` and nothing else
 * unusual. Only such requests may take Toolport's cached or direct answers;
 * anything else (batches, progress tokens, extra headers or keys) goes to the
 * SDK, which validates it and answers as the spec says.
 */
export const MODERN_PROTOCOL = '2026-07-28';

/** Versions before 2026-07-28 are the 2025 era's: negotiated at initialize, with sessions (dates compare as text). */
export function isSessionEraVersion(version: string): boolean {
  return version < MODERN_PROTOCOL;
}

const META_KEYS = new Set(['io.modelcontextprotocol/protocolVersion', 'io.modelcontextprotocol/clientInfo', 'io.modelcontextprotocol/clientCapabilities']);
const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

export interface PlainRequest {
  id: string | number;
  params: Record<string, unknown>;
}

export function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

/** A JSON-RPC request id the fast paths echo as they are: a string or a safe integer. */
export function isRequestId(id: unknown): id is string | number {
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));
}

export function matchPlainRequest(request: Request, body: unknown, method: string, paramKeys: ReadonlySet<string>): PlainRequest | undefined {
  const headers = request.headers;
  if (headers.get('mcp-protocol-version') !== MODERN_PROTOCOL || headers.get('mcp-method') !== method) return undefined;
  const accept = headers.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  for (const name of headers.keys()) if (name.startsWith('mcp-param-')) return undefined;
  if (!isObject(body) || !onlyKeys(body, REQUEST_KEYS) || body.jsonrpc !== '2.0' || body.method !== method) return undefined;
  const id = body.id;
  if (!isRequestId(id)) return undefined;
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

  /** `headers`: more response headers (a 2025-era session's Mcp-Session-Id). */
  constructor(
    result: Buffer,
    id: string | number,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    this.chunks = [PREFIX, result, JSONRPC, Buffer.from(JSON.stringify(id)), CLOSE];
    this.length = this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  toResponse(): Response {
    return new Response(Buffer.concat(this.chunks, this.length), { status: 200, headers: { 'content-type': 'application/json', ...this.headers } });
  }
}

export function resultResponse(result: Buffer, id: string | number, headers?: Readonly<Record<string, string>>): Response {
  return new EncodedResult(result, id, headers).toResponse();
}

/**
 * The one JSON-RPC message of an SDK answer, and the answer to send on (its
 * body was read): a JSON body, or an SSE stream of exactly one `data:` line
 * (a 2025-era session's response to a request that sent no notifications).
 */
export async function readSdkAnswer(response: Response): Promise<{ response: Response; message: { result?: unknown; id?: unknown } | undefined }> {
  const type = response.headers.get('content-type') ?? '';
  const sse = type.startsWith('text/event-stream');
  if (response.status !== 200 || !(sse || type === 'application/json')) return { response, message: undefined };
  const text = await response.text();
  let message: { result?: unknown; id?: unknown } | undefined;
  try {
    if (!sse) message = JSON.parse(text);
    else {
      const data = text.split('\n').filter((line) => line.startsWith('data: '));
      if (data.length === 1) message = JSON.parse(data[0]!.slice(6));
    }
  } catch {
    // not JSON after all: nothing to learn
  }
  return { response: new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers }), message };
}

/** A JSON-RPC error response as the SDK's 2026-07-28 leg sends one for a handler's ProtocolError (same members, order and status). */
export function errorResponse(
  error: { code: number; message: string; data?: unknown },
  id: string | number,
  headers?: Readonly<Record<string, string>>,
): Response {
  const body = {
    jsonrpc: '2.0',
    id,
    error: error.data === undefined ? { code: error.code, message: error.message } : { code: error.code, message: error.message, data: error.data },
  };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', ...headers } });
}
