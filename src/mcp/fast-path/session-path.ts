import type { ToolCaller } from '../../registry/call.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import { AbortRelay } from '../../shared/abort-relay.ts';
import type { Logger } from '../../shared/logger.ts';
import type { CallerInfo } from '../server.ts';
import { DirectCalls } from './direct-call.ts';
import type { SdkAnswer } from './index.ts';
import { ToolListCache } from './list-cache.ts';
import type { EncodedResult } from './plain-request.ts';
import { matchSessionRequest } from './session-request.ts';

/** What the fast path needs of a 2025-era session. */
export interface FastSession {
  id: string;
  /** The version negotiated at initialize: requests must carry it, and answers are cached per version. */
  protocolVersion: string;
  /** Calls the fast path is running, by JSON-RPC id, so `notifications/cancelled` can stop them. */
  inflight: Map<string | number, AbortRelay>;
}

/**
 * Plain `tools/list` and `tools/call` on an established 2025-era session,
 * answered from the catalog as the 2026-07-28 fast path does: a list page
 * the session's SDK transport has answered once for the current view is
 * sent as its bytes, a call runs through the call path inside the result
 * envelope the SDK was seen to send. The JSON-RPC message is byte for byte
 * the SDK's; it goes out as `application/json` (which every client must
 * accept) where the SDK would open an SSE stream for it. The first request
 * per view and version, and anything unusual, goes through the SDK.
 */
export class SessionFastPath {
  private readonly byVersion = new Map<string, { lists: ToolListCache; calls: DirectCalls }>();

  constructor(
    private readonly catalog: ToolCatalog,
    private readonly caller: ToolCaller,
    private readonly logger: Logger,
  ) {}

  private caches(version: string): { lists: ToolListCache; calls: DirectCalls } {
    let caches = this.byVersion.get(version);
    if (!caches) this.byVersion.set(version, (caches = { lists: new ToolListCache(), calls: new DirectCalls(this.catalog, this.caller, this.logger) }));
    return caches;
  }

  /** The answer, or undefined when the request is not a plain list or call (then the SDK answers it). */
  answer(session: FastSession, request: Request, body: unknown, who: CallerInfo, sdk: SdkAnswer): Promise<Response | EncodedResult> | undefined {
    const match = matchSessionRequest(request, body, session.protocolVersion);
    if (!match) return undefined;
    const { lists, calls } = this.caches(session.protocolVersion);
    const headers = { 'mcp-session-id': session.id };
    const view = this.catalog.view();
    if (match.kind === 'list') {
      const cached = lists.answer(view, match, headers);
      return cached ? Promise.resolve(cached) : sdk().then((response) => lists.learn(view, match, response));
    }
    // `notifications/cancelled` aborts `cancel`; the client going away does too, followed only once a handler asks for
    // the signal, and let go of when the call is over.
    const cancel = new AbortRelay();
    session.inflight.set(match.id, cancel);
    const signal = () => cancel.follow(request.signal).signal;
    return calls
      .answer(view, match, signal, who, headers)
      .finally(() => {
        cancel.release();
        if (session.inflight.get(match.id) === cancel) session.inflight.delete(match.id);
      })
      .then(async (answer) => answer ?? calls.learn(view, match, await sdk()));
  }
}
