import { ProtocolError } from '@modelcontextprotocol/server';
import type { ToolCaller } from '../../registry/call.ts';
import type { CallResult } from '../../registry/call-result.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import type { CatalogView } from '../../registry/snapshot.ts';
import { isObject } from '../../shared/json.ts';
import type { Logger } from '../../shared/logger.ts';
import { type CallerInfo, failureResult } from '../server.ts';
import { errorResponse, matchPlainRequest, readSdkAnswer, resultResponse } from './plain-request.ts';

/**
 * Direct answers to plain 2026-07-28 `tools/call` requests. The SDK's
 * per-request work (a Server per request, message schema checks, era
 * classification) is most of the cost of a call to a pure tool, so once the
 * SDK has answered one call for a view, Toolport knows the result envelope
 * it adds (resultType, server info in `_meta`) and answers further plain
 * calls itself through the same call path — the result is the same object
 * the SDK path would send. A call that fails as a protocol error (unknown or
 * unavailable tool, a scope or rate limit refusal) is answered here too, as
 * the SDK encodes it: the call has run (and been audited and counted), so it
 * must not run again through the SDK.
 */
const PARAM_KEYS = new Set(['_meta', 'name', 'arguments']);
const OWN_KEYS = new Set(['content', 'structuredContent', 'isError']);

export interface CallRequest {
  id: string | number;
  name: string;
  args: Record<string, unknown>;
}

export function matchCallRequest(request: Request, body: unknown): CallRequest | undefined {
  const plain = matchPlainRequest(request, body, 'tools/call', PARAM_KEYS);
  if (!plain) return undefined;
  const { name, arguments: args } = plain.params;
  if (typeof name !== 'string' || request.headers.get('mcp-name') !== name) return undefined;
  if (args !== undefined && !isObject(args)) return undefined;
  return { id: plain.id, name, args: args ?? {} };
}

export class DirectCalls {
  /** What the SDK adds around a CallToolResult, learned per view (server info can change with it). */
  private readonly envelopes = new WeakMap<CatalogView, string>();

  constructor(
    private readonly catalog: ToolCatalog,
    private readonly caller: ToolCaller,
    private readonly logger: Logger,
  ) {}

  /** The answer, or undefined when this call must go through the SDK. */
  async answer(
    view: CatalogView | undefined,
    match: CallRequest,
    signal: () => AbortSignal,
    who: CallerInfo,
    headers?: Readonly<Record<string, string>>,
  ): Promise<Response | undefined> {
    const envelope = view && this.envelopes.get(view);
    if (!envelope) return undefined;
    let result: CallResult;
    try {
      result = await this.caller.call(this.catalog, match.name, match.args, { signal, principal: who.principal, requestId: who.requestId });
    } catch (error) {
      try {
        result = failureResult(this.logger, this.catalog, match.name, error);
      } catch (protocolError) {
        // failureResult throws only ProtocolErrors; anything else would be a bug in it.
        if (!(protocolError instanceof ProtocolError)) throw protocolError;
        return errorResponse(protocolError, match.id, headers);
      }
    }
    // structuredContent is always an object (checked), which every era's projection passes unchanged.
    return resultResponse(Buffer.from(result.encode(envelope)), match.id, headers);
  }

  /** Learn the envelope from an SDK answer (JSON, or one SSE message) to a call made on `view`. */
  async learn(view: CatalogView | undefined, match: CallRequest, response: Response): Promise<Response> {
    if (!view) return response;
    const read = await readSdkAnswer(response);
    const message = read.message;
    if (message && isObject(message.result) && Array.isArray(message.result.content) && message.id === match.id) {
      const envelope = Object.fromEntries(Object.entries(message.result).filter(([key]) => !OWN_KEYS.has(key)));
      this.envelopes.set(view, JSON.stringify(envelope));
    }
    return read.response;
  }
}
