import type { CatalogView } from '../../registry/snapshot.ts';
import { isObject } from '../../shared/json.ts';
import { EncodedResult, matchPlainRequest, readSdkAnswer } from './plain-request.ts';

/**
 * Pre-encoded answers to 2026-07-28 `tools/list`. Encoding a 250-tool page
 * (~140 KB) and the SDK's result checks cost milliseconds per request, the
 * whole price of listing a large registry. The first request for a page of a
 * view goes through the SDK as usual; its result is kept as JSON text
 * (views are replaced, never changed, so they are the cache key) and
 * later requests of the same shape get the same bytes with their own id.
 * Only plainly well-formed requests take the cached path; anything unusual
 * goes to the SDK, which validates and answers it.
 */
const PARAM_KEYS = new Set(['_meta', 'cursor']);

export interface ListRequest {
  id: string | number;
  /** '' for the first page. */
  cursor: string;
}

/** A tools/list request the cache may answer, or undefined. */
export function matchListRequest(request: Request, body: unknown): ListRequest | undefined {
  if (request.headers.has('mcp-name')) return undefined;
  const plain = matchPlainRequest(request, body, 'tools/list', PARAM_KEYS);
  if (!plain || (plain.params.cursor !== undefined && typeof plain.params.cursor !== 'string')) return undefined;
  return { id: plain.id, cursor: (plain.params.cursor as string | undefined) ?? '' };
}

export class ToolListCache {
  /** The encoded `result` of each page, as bytes: a request copies them once, nothing is re-encoded. */
  private readonly pages = new WeakMap<CatalogView, Map<string, Buffer>>();

  /** The cached answer for this view and cursor, if the SDK has answered it once. */
  answer(view: CatalogView | undefined, match: ListRequest, headers?: Readonly<Record<string, string>>): EncodedResult | undefined {
    const result = view && this.pages.get(view)?.get(match.cursor);
    if (result === undefined) return undefined;
    return new EncodedResult(result, match.id, headers);
  }

  /** Keep the result of the SDK's answer (JSON, or one SSE message) for `view` (the one current when the request started). */
  async learn(view: CatalogView | undefined, match: ListRequest, response: Response): Promise<Response> {
    if (!view) return response;
    const read = await readSdkAnswer(response);
    const message = read.message;
    if (message && isObject(message.result) && message.id === match.id) {
      let byCursor = this.pages.get(view);
      if (!byCursor) this.pages.set(view, (byCursor = new Map()));
      byCursor.set(match.cursor, Buffer.from(JSON.stringify(message.result)));
    }
    return read.response;
  }
}
