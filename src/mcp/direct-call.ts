import type { CallToolResult } from '@modelcontextprotocol/server';
import { callTool, encodeCallResult } from '../registry/call.ts';
import type { ServerSnapshot } from '../registry/registry.ts';
import { isObject, matchPlainRequest, resultResponse } from './plain-request.ts';
import { failureResult, type McpDeps } from './server.ts';

/**
 * Direct answers to plain 2026-07-28 `tools/call` requests. The SDK's
 * per-request work (a Server per request, message schema checks, era
 * classification) is most of the cost of a call to a pure tool, so once the
 * SDK has answered one call for a snapshot, Toolport knows the result
 * envelope it adds (resultType, server info in `_meta`) and answers further
 * plain calls itself through the same callTool — the result is the same
 * object the SDK path would send. Everything else, including unknown or
 * unavailable tools (protocol errors), still goes through the SDK.
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
  /** What the SDK adds around a CallToolResult, learned per snapshot (server info can change with it). */
  private readonly envelopes = new WeakMap<ServerSnapshot, string>();

  constructor(
    private readonly deps: McpDeps,
    private readonly serverId: string,
  ) {}

  /** The answer, or undefined when this call must go through the SDK. */
  async answer(snapshot: ServerSnapshot | undefined, match: CallRequest): Promise<Response | undefined> {
    const envelope = snapshot && this.envelopes.get(snapshot);
    if (!envelope) return undefined;
    let result: CallToolResult;
    try {
      result = (await callTool(this.deps, this.serverId, match.name, match.args)) as CallToolResult;
    } catch (error) {
      try {
        result = failureResult(this.deps, this.serverId, match.name, error);
      } catch {
        // Unknown or unavailable tool (thrown before any handler ran): a
        // protocol error, which the SDK path encodes.
        return undefined;
      }
    }
    // Toolport's structuredContent is always an object, which every era's projection passes unchanged.
    return resultResponse(Buffer.from(encodeCallResult(result, envelope)), match.id);
  }

  /** Learn the envelope from an SDK answer to a call made on `snapshot`. */
  async learn(snapshot: ServerSnapshot | undefined, match: CallRequest, response: Response): Promise<Response> {
    if (!snapshot || response.status !== 200 || response.headers.get('content-type') !== 'application/json') return response;
    const text = await response.text();
    try {
      const parsed = JSON.parse(text) as { result?: unknown; id?: unknown };
      if (isObject(parsed.result) && Array.isArray(parsed.result.content) && parsed.id === match.id) {
        const envelope = Object.fromEntries(Object.entries(parsed.result).filter(([key]) => !OWN_KEYS.has(key)));
        this.envelopes.set(snapshot, JSON.stringify(envelope));
      }
    } catch {
      // not JSON after all: nothing learned
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  }
}
