import { randomUUID } from 'node:crypto';
import { type AuthInfo, isInitializeRequest, type Server as SdkServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { jsonRpcError, requestIdOf, SERVER_ERROR, SESSION_NOT_FOUND } from './jsonrpc.ts';
import type { SessionStore } from './sessions.ts';

/**
 * The 2025-era leg: `initialize` opens a session served by its own
 * sessionful transport and Server; later requests, the GET notification
 * stream and DELETE find it by Mcp-Session-Id. Deliberately not the SDK 1.x
 * JSON-mode stateful path, which leaks an entry per POST (SDK issue #2559).
 * A session belongs to the actor that opened it (`authInfo.clientId`).
 */
export interface LegacyLegOptions {
  /** `server "finance"`, for messages. */
  label: string;
  sessions: SessionStore;
  createServer: () => SdkServer;
  idleMs: number;
  maxSessions: number;
  maxBodyBytes: number;
}

function opensSession(body: unknown): boolean {
  return Array.isArray(body) ? body.some((message) => isInitializeRequest(message)) : isInitializeRequest(body);
}

export function createLegacyLeg(options: LegacyLegOptions) {
  const { sessions, label } = options;

  async function open(request: Request, parsedBody: unknown, authInfo: AuthInfo): Promise<Response> {
    if (!sessions.hasRoom()) {
      return jsonRpcError(
        503,
        SERVER_ERROR,
        `Too many open MCP sessions on ${label} (TOOLPORT_MCP_MAX_SESSIONS=${options.maxSessions}). ` +
          `End unused sessions with DELETE /mcp (header Mcp-Session-Id), wait for idle ones to expire ` +
          `(TOOLPORT_MCP_SESSION_IDLE_MS=${options.idleMs}), or raise the limit.`,
        { id: requestIdOf(parsedBody), headers: { 'retry-after': String(Math.ceil(Math.min(options.idleMs, 60_000) / 1000)) } },
      );
    }
    const release = sessions.reserve();
    const server = options.createServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id: string): void => sessions.add(id, authInfo.clientId, server, transport),
      onsessionclosed: (id) => sessions.remove(id, 'DELETE'),
      maxRequestBodySize: options.maxBodyBytes,
    });
    // However the transport ends (DELETE, close on shutdown, an error), the session goes with it.
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId, 'transport closed');
    };
    try {
      await server.connect(transport);
      const response = await transport.handleRequest(request, { parsedBody, authInfo });
      // A refused initialize (bad params, wrong Accept header) leaves no session behind.
      if (!transport.sessionId) await server.close().catch(() => {});
      const session = transport.sessionId ? sessions.get(transport.sessionId, authInfo.clientId) : undefined;
      return session ? sessions.track(session, response) : response;
    } finally {
      release();
    }
  }

  return async function serveLegacy(request: Request, parsedBody: unknown, authInfo: AuthInfo): Promise<Response> {
    const id = request.headers.get('mcp-session-id');
    if (id) {
      const session = sessions.get(id, authInfo.clientId);
      // The spec's answer for an unknown, ended or expired session — or another caller's: 404, and the client starts over.
      if (!session) {
        return jsonRpcError(404, SESSION_NOT_FOUND, `Session not found: it ended or expired. Send a new initialize request without Mcp-Session-Id.`, {
          id: requestIdOf(parsedBody),
        });
      }
      // This request's authInfo, not the opener's: the same actor, but its requestId (and a key's current scopes) are this request's.
      return sessions.track(session, await session.transport.handleRequest(request, { parsedBody, authInfo }));
    }
    if (request.method === 'POST' && opensSession(parsedBody)) return open(request, parsedBody, authInfo);
    // A GET without a session is how a client of the old HTTP+SSE transport (protocol 2024-11-05) starts: it waits for an `endpoint` event that never comes.
    const oldTransport = request.method === 'GET' ? ' (The HTTP+SSE transport of protocol 2024-11-05 is not served: connect with Streamable HTTP.)' : '';
    return jsonRpcError(
      400,
      SERVER_ERROR,
      `Bad Request: send the Mcp-Session-Id header of your session, or start one with an initialize request.${oldTransport}`,
      {
        id: requestIdOf(parsedBody),
      },
    );
  };
}
