import { createMcpHandler, InMemoryServerEventBus, isJsonContentType, isLegacyRequest, readRequestBody } from '@modelcontextprotocol/server';
import type { AppDeps } from '../deps.ts';
import { onToolsChanged } from './events.ts';
import { createGuard } from './guard.ts';
import { jsonRpcError, PARSE_ERROR, SERVER_ERROR } from './jsonrpc.ts';
import { createLegacyLeg } from './legacy.ts';
import { DirectCalls, matchCallRequest } from './direct-call.ts';
import { matchListRequest, ToolListCache } from './list-cache.ts';
import type { EncodedResult } from './plain-request.ts';
import { createMcpServer } from './server.ts';
import { SessionStore } from './sessions.ts';

/**
 * /mcp of one server (port), both protocol eras on one URL:
 * 2026-07-28 requests (`_meta` envelope, server/discover, subscriptions/listen)
 * go to the SDK's createMcpHandler; 2025-era traffic (initialize,
 * Mcp-Session-Id, GET stream, DELETE) to our sessionful leg. Both are fed by
 * the same registry snapshot and the same change events.
 */
export interface McpEndpoint {
  serverId: string;
  /** An EncodedResult is a JSON-RPC result the caller may write without building a Response (see route.ts). */
  handle(request: Request): Promise<Response | EncodedResult>;
  /** Ends listen streams and sessions, so shutdown does not wait on open SSE connections. */
  close(): Promise<void>;
}

export function createMcpEndpoint(deps: AppDeps, serverId: string): McpEndpoint {
  const { config, logger } = deps;
  const guard = createGuard({ bindHost: config.host, allowedOrigins: config.allowedOrigins });
  const createServer = () => createMcpServer(deps, serverId);

  // One bus per server: bus events carry no scope, so a shared bus would
  // tell every port about every port's changes.
  const bus = new InMemoryServerEventBus((error) => logger.warn('mcp listen delivery failed', { server: serverId, error: error.message }));
  const modern = createMcpHandler(createServer, {
    legacy: 'reject',
    bus,
    maxSubscriptions: config.mcpMaxSessions,
    maxRequestBodySize: config.maxBodyBytes,
    // Rejections of malformed client requests are reported here too: not worth more than debug.
    onerror: (error) => logger.debug('mcp request error', { server: serverId, error: error.message }),
  });

  const sessions = new SessionStore({ serverId, idleMs: config.mcpSessionIdleMs, maxSessions: config.mcpMaxSessions, logger });
  const serveLegacy = createLegacyLeg({
    serverId,
    sessions,
    createServer,
    idleMs: config.mcpSessionIdleMs,
    maxSessions: config.mcpMaxSessions,
    maxBodyBytes: config.maxBodyBytes,
  });

  const lists = new ToolListCache();
  const calls = new DirectCalls(deps, serverId);

  const stopFeed = onToolsChanged(deps.registry, serverId, () => {
    modern.notify.toolsChanged();
    sessions.notifyToolsChanged();
  });

  /** Read and parse the body once; both legs and the era test get the parsed value (~100 µs saved per request). */
  async function readBody(request: Request): Promise<{ parsed: unknown } | Response> {
    if (request.method !== 'POST') return { parsed: undefined };
    if (!isJsonContentType(request.headers.get('content-type'))) {
      return jsonRpcError(415, SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json');
    }
    const tooLarge = () => jsonRpcError(413, SERVER_ERROR, `The request body is larger than ${config.maxBodyBytes} bytes (TOOLPORT_MAX_BODY_BYTES)`);
    const declared = Number(request.headers.get('content-length') ?? NaN);
    let text: string;
    if (Number.isFinite(declared)) {
      // Length known and bounded: request.text() takes @hono/node-server's direct
      // read instead of building a fetch Request around the body stream.
      if (declared > config.maxBodyBytes) return tooLarge();
      text = await request.text();
    } else {
      const read = await readRequestBody(request, config.maxBodyBytes); // chunked: bounded while streaming
      if (read.tooLarge) return tooLarge();
      text = read.text;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return { parsed };
    } catch (error) {
      return jsonRpcError(400, PARSE_ERROR, `Parse error: the body is not valid JSON (${(error as Error).message})`);
    }
  }

  let closed = false;
  return {
    serverId,
    async handle(request) {
      const rejected = guard.check(request);
      if (rejected) return rejected;
      if (closed) return jsonRpcError(503, SERVER_ERROR, 'The server is shutting down');
      const body = await readBody(request);
      if (body instanceof Response) return body;
      // Plain 2026-07-28 requests are modern by their headers and envelope: answer them before classifying.
      const list = matchListRequest(request, body.parsed);
      if (list) {
        const snapshot = deps.registry.snapshot(serverId);
        return lists.answer(snapshot, list) ?? lists.learn(snapshot, list, await modern.fetch(request, { parsedBody: body.parsed }));
      }
      const call = matchCallRequest(request, body.parsed);
      if (call) {
        const snapshot = deps.registry.snapshot(serverId);
        return (await calls.answer(snapshot, call)) ?? calls.learn(snapshot, call, await modern.fetch(request, { parsedBody: body.parsed }));
      }
      if (await isLegacyRequest(request, body.parsed)) return serveLegacy(request, body.parsed);
      return modern.fetch(request, { parsedBody: body.parsed });
    },
    async close() {
      if (closed) return;
      closed = true;
      stopFeed();
      await Promise.all([modern.close(), sessions.closeAll()]);
    },
  };
}
