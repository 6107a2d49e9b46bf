import type { ServerSnapshot } from '../registry/registry.ts';

/**
 * Pre-encoded answers to 2026-07-28 `tools/list`. Encoding a 250-tool page
 * (~140 KB) and the SDK's result checks cost milliseconds per request, the
 * whole price of listing a large registry. The first request for a page of a
 * snapshot goes through the SDK as usual; its result is kept as JSON text
 * (snapshots are replaced, never changed, so they are the cache key) and
 * later requests of the same shape get the same bytes with their own id.
 * Only plainly well-formed requests take the cached path; anything unusual
 * goes to the SDK, which validates and answers it.
 */
const PROTOCOL = '2026-07-28';
const META_KEYS = new Set(['io.modelcontextprotocol/protocolVersion', 'io.modelcontextprotocol/clientInfo', 'io.modelcontextprotocol/clientCapabilities']);

export interface ListRequest {
  id: string | number;
  /** '' for the first page. */
  cursor: string;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  return Object.keys(value).every((key) => allowed.has(key));
}

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const PARAM_KEYS = new Set(['_meta', 'cursor']);

/** A tools/list request the cache may answer, or undefined. */
export function matchListRequest(request: Request, body: unknown): ListRequest | undefined {
  if (request.headers.get('mcp-protocol-version') !== PROTOCOL || request.headers.get('mcp-method') !== 'tools/list') return undefined;
  if (request.headers.has('mcp-name')) return undefined;
  const accept = request.headers.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (!isObject(body) || !onlyKeys(body, REQUEST_KEYS) || body.jsonrpc !== '2.0' || body.method !== 'tools/list') return undefined;
  const id = body.id;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) return undefined;
  const params = body.params;
  if (!isObject(params) || !onlyKeys(params, PARAM_KEYS)) return undefined;
  if (params.cursor !== undefined && typeof params.cursor !== 'string') return undefined;
  const meta = params._meta;
  if (!isObject(meta) || !onlyKeys(meta, META_KEYS) || meta['io.modelcontextprotocol/protocolVersion'] !== PROTOCOL) return undefined;
  const client = meta['io.modelcontextprotocol/clientInfo'];
  if (!isObject(client) || typeof client.name !== 'string' || typeof client.version !== 'string') return undefined;
  if (!isObject(meta['io.modelcontextprotocol/clientCapabilities'])) return undefined;
  return { id, cursor: (params.cursor as string | undefined) ?? '' };
}

const PREFIX = Buffer.from('{"result":');
const JSONRPC = Buffer.from(',"jsonrpc":"2.0","id":');
const CLOSE = Buffer.from('}');

export class ToolListCache {
  /** The encoded `result` of each page, as bytes: a request copies them once, nothing is re-encoded. */
  private readonly pages = new WeakMap<ServerSnapshot, Map<string, Buffer>>();

  /** The cached answer for this snapshot and cursor, if the SDK has answered it once. */
  answer(snapshot: ServerSnapshot | undefined, match: ListRequest): Response | undefined {
    const result = snapshot && this.pages.get(snapshot)?.get(match.cursor);
    if (result === undefined) return undefined;
    // The SDK's own member order, so cached and uncached answers are byte-identical.
    const body = Buffer.concat([PREFIX, result, JSONRPC, Buffer.from(JSON.stringify(match.id)), CLOSE]);
    return new Response(body, {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }

  /** Keep the result of the SDK's answer for `snapshot` (the one current when the request started). */
  async learn(snapshot: ServerSnapshot | undefined, match: ListRequest, response: Response): Promise<Response> {
    if (!snapshot || response.status !== 200 || response.headers.get('content-type') !== 'application/json') return response;
    const text = await response.text();
    try {
      const parsed = JSON.parse(text) as { result?: unknown; id?: unknown };
      if (isObject(parsed.result) && parsed.id === match.id) {
        let byCursor = this.pages.get(snapshot);
        if (!byCursor) this.pages.set(snapshot, (byCursor = new Map()));
        byCursor.set(match.cursor, Buffer.from(JSON.stringify(parsed.result)));
      }
    } catch {
      // not JSON after all: answer as the SDK did, cache nothing
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  }
}
