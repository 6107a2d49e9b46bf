import type { CallToolResult } from '@modelcontextprotocol/client';
import { createParser } from 'eventsource-parser';
import { type Dispatcher, request } from 'undici';
import { RequestDeadline } from '../outbound/request-deadline.ts';
import { decodeCallToolResult } from './call-result.ts';
import { UpstreamAnswerError, UpstreamDownError } from './errors.ts';

/**
 * A 2026-07-28 `tools/call` sent to an upstream without the SDK client: the
 * request the SDK's Streamable HTTP transport sends (the same headers — the
 * upstream's own, `accept`, `content-type`, `mcp-protocol-version`,
 * `mcp-method`, `mcp-name` — and the same `_meta` envelope), on the links'
 * keep-alive agent, its answer read as JSON or as an event stream and
 * checked (call-result.ts). The SDK client's per-call work (its protocol
 * layer, zod schemas, Response objects) was most of what a proxied call cost
 * (`npm run bench`, phase `upstream`); the link keeps the SDK for
 * everything else: connecting and negotiating, tool lists, health checks,
 * 2025-era sessions, and the calls this path leaves to it (a tool whose
 * input schema declares `x-mcp-header` parameters, a name the header would
 * have to encode, an upstream that redirects or answers HeaderMismatch).
 *
 * In this era a call is cancelled by ending its HTTP request, which the
 * request's signal does (the caller's cancel, or the call's deadline).
 */

export interface DirectCallTarget {
  /** The upstream's MCP endpoint (its `${secret:…}` references resolved). */
  url: string;
  /** The upstream's own headers (resolved), as the transport's requestInit has them. */
  headers: Record<string, string>;
  clientInfo: { name: string; version: string };
  protocolVersion: string;
  dispatcher: Dispatcher;
}

/**
 * Nothing ran, and the SDK client takes the call: the upstream redirected
 * (the client follows same-origin redirects; `for: 'upstream'` — it takes
 * the upstream's calls from now on), or it answered HeaderMismatch (-32020:
 * the tool declares `x-mcp-header` parameters since the last tools/list;
 * the client refetches the list and sends them; `for: 'tool'`).
 */
export class LeftToClient extends Error {
  constructor(
    message: string,
    readonly scope: 'upstream' | 'tool',
  ) {
    super(message);
  }
}

/** The JSON-RPC error code of a request whose `Mcp-*` headers do not match its body (SEP-2243). */
const HEADER_MISMATCH = -32020;

/** How much of an error answer's body a message quotes. */
const MAX_QUOTED = 500;

/** Whether a tool's name goes into `mcp-name` as it is (the SDK base64-encodes any other; it then takes the call). */
export function plainHeaderValue(value: string): boolean {
  if (value.length === 0 || value !== value.trim()) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 9 && (c < 32 || c > 126)) return false;
  }
  return !value.startsWith('=?base64?');
}

export interface DirectRequest {
  id: string;
  headers: Record<string, string>;
  body: string;
}

export class DirectCaller {
  private sequence = 0;
  private readonly baseHeaders: Record<string, string>;
  private readonly meta: Record<string, unknown>;

  constructor(private readonly target: DirectCallTarget) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(target.headers)) headers[name.toLowerCase()] = value;
    const accept = new Set((headers.accept ?? '').split(',').map((type) => type.trim().toLowerCase()));
    accept.delete('');
    accept.add('application/json');
    accept.add('text/event-stream');
    headers.accept = [...accept].join(', ');
    headers['content-type'] = 'application/json';
    headers['mcp-protocol-version'] = target.protocolVersion;
    headers['mcp-method'] = 'tools/call';
    this.baseHeaders = headers;
    this.meta = {
      'io.modelcontextprotocol/protocolVersion': target.protocolVersion,
      'io.modelcontextprotocol/clientInfo': target.clientInfo,
      'io.modelcontextprotocol/clientCapabilities': {},
    };
  }

  /** The request of one call: what goes on the wire (ids are distinct strings of this caller). */
  request(name: string, args: Record<string, unknown>): DirectRequest {
    const id = `toolport-${++this.sequence}`;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, _meta: this.meta } });
    return { id, headers: { ...this.baseHeaders, 'mcp-name': name }, body };
  }

  /** One call: its result; UpstreamAnswerError, UpstreamDownError, or LeftToClient. */
  async call(name: string, args: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs: number }): Promise<CallToolResult> {
    const { id, headers, body } = this.request(name, args);
    const deadline = new RequestDeadline(options.timeoutMs, options.signal);
    try {
      const answer = await request(this.target.url, { method: 'POST', headers, body, signal: deadline.signal, dispatcher: this.target.dispatcher });
      const type = String(answer.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (answer.statusCode >= 300 && answer.statusCode < 400) {
        answer.body.resume();
        throw new LeftToClient(`redirected (${answer.statusCode})`, 'upstream');
      }
      if (answer.statusCode >= 200 && answer.statusCode < 300 && type === 'text/event-stream') return settle(id, await responseInStream(id, answer.body));
      const text = await answer.body.text();
      const message = answer.statusCode < 300 || answer.statusCode === 400 ? jsonRpcResponse(text, id) : undefined;
      if (answer.statusCode >= 300 || !message) {
        if (message?.error) return settle(id, message);
        throw new UpstreamDownError(`Error POSTing to endpoint (HTTP ${answer.statusCode}): ${text.slice(0, MAX_QUOTED) || 'no body'}`);
      }
      return settle(id, message);
    } catch (error) {
      if (error instanceof UpstreamAnswerError || error instanceof UpstreamDownError || error instanceof LeftToClient) throw error;
      if (deadline.signal.aborted && !options.signal.aborted) throw new UpstreamDownError(`Request timed out after ${options.timeoutMs} ms`);
      if (options.signal.aborted) throw options.signal.reason ?? error;
      throw new UpstreamDownError((error as Error)?.message ?? String(error));
    } finally {
      deadline.done();
    }
  }
}

interface JsonRpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** The JSON-RPC response to `id` in a body, if it is one. */
function jsonRpcResponse(text: string, id: string): JsonRpcResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const message = value as JsonRpcResponse;
  if (typeof value !== 'object' || value === null || message.id !== id || !('result' in message || 'error' in message)) return undefined;
  return message;
}

function settle(id: string, message: JsonRpcResponse | undefined): CallToolResult {
  if (!message) throw new UpstreamDownError(`the upstream ended its event stream without answering request ${id}`);
  if (message.error) {
    if (message.error.code === HEADER_MISMATCH) throw new LeftToClient('the upstream expects Mcp-Param headers (HeaderMismatch)', 'tool');
    const text = typeof message.error.message === 'string' ? message.error.message : JSON.stringify(message.error);
    throw new UpstreamAnswerError(text);
  }
  return decodeCallToolResult(message.result);
}

/** Reads an event stream until the response to `id` (notifications before it are not for a proxied call); undefined when it ends first. */
async function responseInStream(id: string, body: Dispatcher.ResponseData['body']): Promise<JsonRpcResponse | undefined> {
  let found: JsonRpcResponse | undefined;
  const parser = createParser({
    onEvent(event) {
      if (!found && (event.event === undefined || event.event === 'message')) found = jsonRpcResponse(event.data, id);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    if (found) {
      body.destroy();
      break;
    }
  }
  return found;
}
