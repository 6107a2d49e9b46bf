import { type AuthInfo, createMcpHandler, InMemoryServerEventBus, isLegacyRequest } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.ts';
import { formatScopes } from '../auth/scopes.ts';
import { onToolsChanged } from '../registry/tool-change-events.ts';
import { jsonContentTypeProblem } from '../shared/content-type.ts';
import { type BodyText, readBoundedText, tooLargeMessage } from '../shared/http-body.ts';
import { findJsonProblem, jsonProblemMessage } from '../shared/json-guard.ts';
import { createFastPath, type EncodedResult } from './fast-path/index.ts';
import { isSessionEraVersion } from './fast-path/plain-request.ts';
import { SessionFastPath } from './fast-path/session-path.ts';
import { createGuard } from './guard.ts';
import { jsonRpcError, PARSE_ERROR, requestIdOf, SERVER_ERROR } from './jsonrpc.ts';
import { createLegacyLeg } from './legacy.ts';
import { createMcpServer, type McpServerDeps } from './server.ts';
import { SessionStore } from './sessions.ts';
import type { SharedSessions } from './shared-sessions.ts';

/** JSON-RPC's "Invalid Request": valid JSON that is not an acceptable request. */
const INVALID_REQUEST = -32600;

/**
 * /mcp of one catalog, both protocol eras on one URL: 2026-07-28 requests
 * (`_meta` envelope, server/discover, subscriptions/listen) go to the SDK's
 * createMcpHandler; 2025-era traffic (initialize, Mcp-Session-Id, GET
 * stream, DELETE) to our sessionful leg. Both are fed by the same catalog
 * view and the same change events. The caller (resolved by route.ts) rides
 * along to every tools/call as the request's authInfo.
 */
export interface McpEndpoint {
  label: string;
  /**
   * Answer one request made by `principal` (`requestId`: the audit log's).
   * An EncodedResult is a JSON-RPC result the caller may write without
   * building a Response (see route.ts).
   */
  handle(request: Request, principal: Principal, requestId?: string): Promise<Response | EncodedResult>;
  /** Ends listen streams and sessions, so shutdown does not wait on open SSE connections. */
  close(): Promise<void>;
  /** Open 2025-era sessions and 2026-era listen streams (for /metrics). */
  counts(): { sessions: number; listenStreams: number };
}

export interface McpEndpointDeps extends McpServerDeps {
  /** The address listeners bind to (Host checks) and extra allowed browser origins. */
  bindHost: string;
  allowedOrigins: string[];
  maxBodyBytes: number;
  /** Nesting depth a JSON-RPC body may have (TOOLPORT_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  sessionIdleMs: number;
  maxSessions: number;
  /**
   * 2025-era sessions shared by every process on the database, recorded
   * under `serverId` (absent: sessions live in this process only).
   */
  sharedSessions?: { serverId: string; shared: SharedSessions } | undefined;
}

/**
 * The principal as the SDK passes it through to handlers (`ctx.http.authInfo`;
 * server.ts callerOf reads it back). The credential itself is never put here:
 * nothing after authentication needs it, and the SDK may log or expose authInfo.
 */
export function authInfoOf(principal: Principal, requestId: string | undefined): AuthInfo {
  return { token: '', clientId: principal.actor, scopes: formatScopes(principal.scopes), extra: { principal, requestId } };
}

/** Mcp-Session-Id exists only in the 2025 era; 2026-07-28 requests always carry their own version. */
function inSession(request: Request): boolean {
  if (!request.headers.has('mcp-session-id')) return false;
  const version = request.headers.get('mcp-protocol-version');
  return version === null || isSessionEraVersion(version);
}

export function createMcpEndpoint(deps: McpEndpointDeps): McpEndpoint {
  const { catalog, logger, maxBodyBytes } = deps;
  const label = catalog.label;
  const guard = createGuard({ bindHost: deps.bindHost, allowedOrigins: deps.allowedOrigins });
  const createServer = () => createMcpServer(deps);

  // One bus per catalog: bus events carry no scope, so a shared bus would
  // tell every port about every port's changes.
  const bus = new InMemoryServerEventBus((error) => logger.warn('mcp listen delivery failed', { catalog: label, error: error.message }));
  const modern = createMcpHandler(createServer, {
    legacy: 'reject',
    bus,
    maxSubscriptions: deps.maxSessions,
    maxRequestBodySize: maxBodyBytes,
    // Rejections of malformed client requests are reported here too: not worth more than debug.
    onerror: (error) => logger.debug('mcp request error', { catalog: label, error: error.message }),
  });

  const shared = deps.sharedSessions?.shared;
  const sessions = new SessionStore({ label, idleMs: deps.sessionIdleMs, maxSessions: deps.maxSessions, logger, shared });
  const serveLegacy = createLegacyLeg({
    label,
    serverId: deps.sharedSessions?.serverId ?? '',
    sessions,
    shared,
    fastPath: new SessionFastPath(catalog, deps.caller, logger),
    createServer,
    idleMs: deps.sessionIdleMs,
    maxSessions: deps.maxSessions,
    maxBodyBytes,
  });

  const fastPath = createFastPath(deps);

  const stopFeed = onToolsChanged(catalog, () => {
    modern.notify.toolsChanged();
    sessions.notifyToolsChanged();
  });

  /** Read and parse the body once; both legs and the era test get the parsed value (~100 µs saved per request). */
  async function readBody(request: Request): Promise<{ parsed: unknown } | Response> {
    if (request.method !== 'POST') return { parsed: undefined };
    const mediaProblem = jsonContentTypeProblem(request.headers.get('content-type')); // the same rule as REST
    if (mediaProblem) return jsonRpcError(415, SERVER_ERROR, `Unsupported Media Type: ${mediaProblem}`);
    let read: BodyText;
    try {
      read = await readBoundedText(
        {
          contentLength: request.headers.get('content-length'),
          readDirect: () => request.text(),
          stream: () => request.body as AsyncIterable<Uint8Array> | null,
        },
        maxBodyBytes,
      );
    } catch (error) {
      // The client aborted, or the body does not match its framing: a client error, not a crash.
      return jsonRpcError(400, INVALID_REQUEST, `The request body could not be read: ${(error as Error)?.message ?? String(error)}`);
    }
    if (read.tooLarge) return jsonRpcError(413, SERVER_ERROR, tooLargeMessage(maxBodyBytes));
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.text);
    } catch (error) {
      return jsonRpcError(400, PARSE_ERROR, `Parse error: the body is not valid JSON (${(error as Error).message})`);
    }
    // Too deep for the SDK's validators (they recurse), or strings no tool should get: refused before anything reads them.
    const problem = findJsonProblem(parsed, { maxDepth: deps.maxJsonDepth, text: read.text });
    if (problem) return jsonRpcError(400, INVALID_REQUEST, jsonProblemMessage(problem), { id: requestIdOf(parsed) });
    return { parsed };
  }

  let closed = false;
  return {
    label,
    async handle(request, principal, requestId) {
      const rejected = guard.check(request);
      if (rejected) return rejected;
      if (closed) return jsonRpcError(503, SERVER_ERROR, 'The server is shutting down');
      const body = await readBody(request);
      if (body instanceof Response) return body;
      const authInfo = authInfoOf(principal, requestId);
      const sdk = () => modern.fetch(request, { parsedBody: body.parsed, authInfo });
      // Plain 2026-07-28 requests are modern by their headers and envelope: answer them before classifying.
      const fast = fastPath.answer(request, body.parsed, { principal, requestId }, sdk);
      if (fast) return fast;
      // A session id with a 2025-era version (or none) is a 2025-era session's request: no need to classify it.
      if (inSession(request) || (await isLegacyRequest(request, body.parsed))) return serveLegacy(request, body.parsed, authInfo);
      return sdk();
    },
    counts: () => ({ sessions: sessions.size, listenStreams: bus.listenerCount }),
    async close() {
      if (closed) return;
      closed = true;
      stopFeed();
      await Promise.all([modern.close(), sessions.closeAll()]);
    },
  };
}
