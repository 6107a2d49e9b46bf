import { randomUUID } from 'node:crypto';
import {
  type AuthInfo,
  isInitializeRequest,
  type Server as SdkServer,
  SUPPORTED_PROTOCOL_VERSIONS,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { databaseFailureReason } from '../shared/database-reason.ts';
import type { EncodedResult } from './fast-path/index.ts';
import { isSessionEraVersion } from './fast-path/plain-request.ts';
import type { SessionFastPath } from './fast-path/session-path.ts';
import { cancelledRequestId } from './fast-path/session-request.ts';
import { jsonRpcError, requestIdOf, SERVER_ERROR, SESSION_NOT_FOUND } from './jsonrpc.ts';
import type { CallerInfo } from './server.ts';
import type { LegacySession, SessionStore } from './sessions.ts';
import type { McpSessionRecord, SharedSessions } from './shared-sessions.ts';

/**
 * The 2025-era leg: `initialize` opens a session served by its own
 * sessionful transport and Server; later requests, the GET notification
 * stream and DELETE find it by Mcp-Session-Id. Deliberately not the SDK 1.x
 * JSON-mode stateful path, which leaks an entry per POST (SDK issue #2559).
 * A session belongs to the actor that opened it (`authInfo.clientId`).
 *
 * With `shared`, a session is recorded in the database at initialize and
 * any process accepts its id: one that does not hold it reads the record
 * and rebuilds the session (a new transport and Server, brought to the same
 * state by replaying the recorded initialize), once.
 */
export interface LegacyLegOptions {
  /** `server "finance"`, for messages. */
  label: string;
  /** Whose sessions these are (the mcp_sessions server_id). */
  serverId: string;
  sessions: SessionStore;
  shared?: SharedSessions | undefined;
  fastPath: SessionFastPath;
  createServer: () => SdkServer;
  idleMs: number;
  maxSessions: number;
  maxBodyBytes: number;
}

const ACCEPT = 'application/json, text/event-stream';

/** What looking up and rebuilding a session this process does not hold came to. */
type Restored = LegacySession | undefined | 'full' | { lookupFailed: string };

/** The 2025-era versions, in the SDK's order of preference (2026-07-28 and later have no sessions). */
const SESSION_VERSIONS = SUPPORTED_PROTOCOL_VERSIONS.filter(isSessionEraVersion);

/**
 * The version the SDK's initialize handler negotiates (the client's, when
 * it is a 2025-era version the SDK speaks, else its newest): the handler
 * may not have run yet when handleRequest returns the response stream.
 */
function negotiatedVersion(server: SdkServer, body: unknown): string {
  const initialize = (Array.isArray(body) ? body : [body]).find((message) => isInitializeRequest(message));
  const requested = initialize?.params.protocolVersion;
  return server.getNegotiatedProtocolVersion() ?? (requested && SESSION_VERSIONS.includes(requested) ? requested : (SESSION_VERSIONS[0] ?? ''));
}

function opensSession(body: unknown): boolean {
  return Array.isArray(body) ? body.some((message) => isInitializeRequest(message)) : isInitializeRequest(body);
}

function sessionNotFound(parsedBody: unknown): Response {
  // The spec's answer for an unknown, ended or expired session — or another caller's: 404, and the client starts over.
  return jsonRpcError(404, SESSION_NOT_FOUND, `Session not found: it ended or expired. Send a new initialize request without Mcp-Session-Id.`, {
    id: requestIdOf(parsedBody),
  });
}

export function createLegacyLeg(options: LegacyLegOptions) {
  const { sessions, label, shared } = options;
  /** Sessions being rebuilt from their record, so concurrent first requests rebuild once. */
  const restoring = new Map<string, Promise<Restored>>();

  function tooMany(parsedBody: unknown): Response {
    return jsonRpcError(
      503,
      SERVER_ERROR,
      `Too many open MCP sessions on ${label} (TOOLPORT_MCP_MAX_SESSIONS=${options.maxSessions}). ` +
        `End unused sessions with DELETE /mcp (header Mcp-Session-Id), wait for idle ones to expire ` +
        `(TOOLPORT_MCP_SESSION_IDLE_MS=${options.idleMs}), or raise the limit.`,
      { id: requestIdOf(parsedBody), headers: { 'retry-after': String(Math.ceil(Math.min(options.idleMs, 60_000) / 1000)) } },
    );
  }

  /** A Server and its sessionful transport whose session, once initialized, is kept in `sessions` under `makeId()`. */
  async function connect(makeId: () => string, actor: string) {
    const server = options.createServer();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: makeId,
      // The version is set once initialize is answered (open, rebuild).
      onsessioninitialized: (id: string): void => sessions.add(id, actor, server, transport, ''),
      onsessionclosed: (id) => sessions.remove(id, 'DELETE'),
      maxRequestBodySize: options.maxBodyBytes,
    });
    // However the transport ends (DELETE, close on shutdown, an error), the session goes with it.
    transport.onclose = () => {
      if (transport.sessionId) sessions.remove(transport.sessionId, 'transport closed');
    };
    await server.connect(transport);
    return { server, transport };
  }

  async function open(request: Request, parsedBody: unknown, authInfo: AuthInfo): Promise<Response> {
    if (!sessions.hasRoom()) return tooMany(parsedBody);
    const release = sessions.reserve();
    try {
      const { server, transport } = await connect(() => randomUUID(), authInfo.clientId);
      const response = await transport.handleRequest(request, { parsedBody, authInfo });
      // A refused initialize (bad params, wrong Accept header) leaves no session behind.
      if (!transport.sessionId) await server.close().catch(() => {});
      const session = transport.sessionId ? sessions.get(transport.sessionId, authInfo.clientId) : undefined;
      if (!session) return response;
      session.protocolVersion = negotiatedVersion(server, parsedBody);
      // Recorded before the client has the id, so its next request may reach any process.
      await shared?.record({
        id: session.id,
        serverId: options.serverId,
        actor: session.actor,
        protocolVersion: session.protocolVersion,
        clientInfo: { ...(server.getClientVersion() ?? {}) },
        clientCapabilities: { ...(server.getClientCapabilities() ?? {}) },
      });
      return sessions.track(session, response);
    } finally {
      release();
    }
  }

  /** The session as its record says, on this process: a transport initialized by replaying the recorded initialize. */
  async function rebuild(record: McpSessionRecord, url: string, authInfo: AuthInfo): Promise<LegacySession | undefined> {
    const { server, transport } = await connect(() => record.id, record.actor);
    const initialize = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: record.protocolVersion, capabilities: record.clientCapabilities, clientInfo: record.clientInfo },
    };
    const headers = { accept: ACCEPT, 'content-type': 'application/json' };
    await (await transport.handleRequest(new Request(url, { method: 'POST', headers, body: '{}' }), { parsedBody: initialize, authInfo })).text();
    if (transport.sessionId !== record.id) {
      await server.close().catch(() => {});
      return undefined;
    }
    const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
    const more = { ...headers, 'mcp-session-id': record.id, 'mcp-protocol-version': record.protocolVersion };
    await (await transport.handleRequest(new Request(url, { method: 'POST', headers: more, body: '{}' }), { parsedBody: initialized, authInfo })).text();
    const session = sessions.get(record.id, record.actor);
    if (session) session.protocolVersion = record.protocolVersion;
    return session;
  }

  /** A session this process does not hold: from its record, if there is one for this server and caller. */
  async function restore(id: string, request: Request, parsedBody: unknown, authInfo: AuthInfo): Promise<LegacySession | Response> {
    if (!shared || sessions.has(id)) return sessionNotFound(parsedBody);
    let pending = restoring.get(id);
    if (!pending) {
      pending = (async (): Promise<Restored> => {
        let record: McpSessionRecord | undefined;
        try {
          record = await shared.find(id);
        } catch (error) {
          return { lookupFailed: databaseFailureReason(error) };
        }
        if (!record || record.serverId !== options.serverId) return undefined;
        if (!sessions.hasRoom()) return 'full';
        return rebuild(record, request.url, authInfo);
      })().finally(() => restoring.delete(id));
      restoring.set(id, pending);
    }
    const restored = await pending;
    if (restored === 'full') return tooMany(parsedBody);
    if (restored && 'lookupFailed' in restored) {
      return jsonRpcError(503, SERVER_ERROR, `The session could not be looked up: the database does not answer (${restored.lookupFailed}). Retry shortly.`, {
        id: requestIdOf(parsedBody),
        headers: { 'retry-after': '1' },
      });
    }
    // Another caller's session is not found either (get checks the actor).
    return (restored && sessions.get(id, authInfo.clientId)) ?? sessionNotFound(parsedBody);
  }

  async function serveSession(session: LegacySession, request: Request, parsedBody: unknown, authInfo: AuthInfo): Promise<Response | EncodedResult> {
    // This request's authInfo, not the opener's: the same actor, but its requestId (and a key's current scopes) are this request's.
    const sdk = async () => sessions.track(session, await session.transport.handleRequest(request, { parsedBody, authInfo }));
    const extra = authInfo.extra as CallerInfo | undefined;
    const fast = options.fastPath.answer(session, request, parsedBody, { principal: extra?.principal, requestId: extra?.requestId }, sdk);
    if (fast) return fast;
    const cancelled = cancelledRequestId(parsedBody);
    if (cancelled !== undefined) session.inflight.get(cancelled)?.abort(new Error('cancelled by the client'));
    const response = await sdk();
    if (request.method === 'DELETE' && response.status === 200) await shared?.end(session.id);
    return response;
  }

  return async function serveLegacy(request: Request, parsedBody: unknown, authInfo: AuthInfo): Promise<Response | EncodedResult> {
    const id = request.headers.get('mcp-session-id');
    if (id) {
      const session = sessions.get(id, authInfo.clientId) ?? (await restore(id, request, parsedBody, authInfo));
      return session instanceof Response ? session : serveSession(session, request, parsedBody, authInfo);
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
