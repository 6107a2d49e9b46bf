import type { ToolCaller } from '../../registry/call.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import type { Logger } from '../../shared/logger.ts';
import type { CallerInfo } from '../server.ts';
import { DirectCalls, matchCallRequest } from './direct-call.ts';
import { matchListRequest, ToolListCache } from './list-cache.ts';
import type { EncodedResult } from './plain-request.ts';

export { EncodedResult } from './plain-request.ts';

/** The SDK's own answer to a request (its parsed body already read). */
export type SdkAnswer = () => Promise<Response>;

/**
 * Toolport's fast path for plain 2026-07-28 requests, in one place: a
 * `tools/list` page already answered once for the current view is sent as
 * its cached bytes, a `tools/call` runs through the call path and is wrapped
 * in the envelope the SDK was seen to add. The first request of each kind per
 * view, and anything unusual, is answered by the SDK (and learned from).
 * Returns undefined for requests that are not plain list or call requests.
 */
export interface FastPath {
  /** `who` is the caller every call is made for (the same the SDK leg reads from authInfo). */
  answer(request: Request, body: unknown, who: CallerInfo, sdk: SdkAnswer): Promise<Response | EncodedResult> | undefined;
}

export function createFastPath(deps: { catalog: ToolCatalog; caller: ToolCaller; logger: Logger }): FastPath {
  const { catalog } = deps;
  const lists = new ToolListCache();
  const calls = new DirectCalls(catalog, deps.caller, deps.logger);
  return {
    answer(request, body, who, sdk) {
      const list = matchListRequest(request, body);
      if (list) {
        const view = catalog.view();
        const cached = lists.answer(view, list);
        return cached ? Promise.resolve(cached) : sdk().then((response) => lists.learn(view, list, response));
      }
      const call = matchCallRequest(request, body);
      if (call) {
        const view = catalog.view();
        return calls.answer(view, call, () => request.signal, who).then(async (answer) => answer ?? calls.learn(view, call, await sdk()));
      }
      return undefined;
    },
  };
}
