import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { type Context, Hono } from 'hono';
import type { AccessControl } from '../auth/access.ts';
import { isLoopbackAddress } from '../auth/policy.ts';
import type { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { EncodedResult } from './fast-path/index.ts';
import { FORBIDDEN, jsonRpcError, SERVER_ERROR, UNAUTHORIZED } from './jsonrpc.ts';
import type { ScopedMcpEndpoints } from './scoped-endpoints.ts';

export interface McpRouteOptions {
  access: Pick<AccessControl, 'authenticate' | 'insufficientScopeChallenge'>;
  serverId: string;
  logger: Logger;
}

type McpEnv = { Bindings: Partial<HttpBindings>; Variables: { requestId?: string } };

/** An access refusal as JSON-RPC: the HTTP status says what kind, the code lets a client tell without reading the status. */
function refusal(error: AppError, challenge: string | undefined): Response {
  const code = error.status === 401 ? UNAUTHORIZED : error.status === 403 ? FORBIDDEN : SERVER_ERROR;
  const data = error.extra?.scope === undefined ? undefined : { scope: error.extra.scope };
  return jsonRpcError(error.status, code, error.message, { data, ...(challenge ? { headers: { 'www-authenticate': challenge } } : {}) });
}

/**
 * The request id on a Response built outside Hono's context helpers (the
 * SDK's, the endpoint's): headers set on the context do not reach those.
 */
function withRequestId(response: Response, requestId: string | undefined): Response {
  if (!requestId || response.headers.has('x-request-id')) return response;
  try {
    response.headers.set('x-request-id', requestId);
    return response;
  } catch {
    // Immutable headers (a Response that came from fetch): copy it.
    const copy = new Response(response.body, response);
    copy.headers.set('x-request-id', requestId);
    return copy;
  }
}

/**
 * `/mcp` of one listener as a Hono app to mount. Per request, in this order:
 * the Origin/Host guard (a foreign web page gets 403, not a sign-in
 * challenge), who is calling (`Authorization`, or a loopback caller under
 * local-open), which tools it may see (none: 403 naming `<server>:list`),
 * then the endpoint of its visibility class. The endpoint bounds its body
 * itself (same TOOLPORT_MAX_BODY_BYTES as REST) and every failure is
 * answered as JSON-RPC, not in the REST error envelope.
 */
export function mcpRoutes(endpoints: ScopedMcpEndpoints, options: McpRouteOptions): Hono<McpEnv> {
  const { access, serverId, logger } = options;
  const listScope = `${serverId}:list`;
  const app = new Hono<McpEnv>();
  app.all('/', async function mcp(c) {
    const requestId = c.get('requestId');
    const response = await serve(c, requestId);
    // RESPONSE_ALREADY_SENT is a shared marker, never to be changed (and its headers went out already).
    if (response === RESPONSE_ALREADY_SENT) return response;
    // The id is on Node's response already (set before routing, merged into writeHead): nothing to add.
    if (c.env?.outgoing?.hasHeader('x-request-id')) return response;
    return withRequestId(response, requestId);
  });

  async function serve(c: Context<McpEnv>, requestId: string | undefined): Promise<Response> {
    try {
      const rejected = endpoints.refuse(c.req.raw);
      if (rejected) return rejected;
      // No socket (app.request() in-process): no remote caller, as REST treats it.
      const loopback = () => (c.env?.incoming ? isLoopbackAddress(c.env.incoming.socket.remoteAddress) : true);
      const outcome = await access.authenticate(serverId, c.req.header('authorization'), loopback);
      if (!outcome.ok) return refusal(outcome.error, outcome.challenge);
      const { principal } = outcome;
      const visibility = endpoints.visibility(principal.scopes);
      if (visibility.none) {
        return jsonRpcError(403, FORBIDDEN, `This credential (${principal.name}) has no scope on server "${serverId}": it needs "${listScope}" or more`, {
          data: { scope: listScope },
          headers: { 'www-authenticate': access.insufficientScopeChallenge(serverId, listScope) },
        });
      }
      const answer = await endpoints.for(visibility).handle(c.req.raw, principal, requestId);
      if (!(answer instanceof EncodedResult)) return answer;
      const outgoing = c.env?.outgoing;
      if (!outgoing) return answer.toResponse();
      // A cached page goes out as its parts in one writev: no copy of the page per request (and so no
      // headers set on the context: the request id is added here).
      outgoing.writeHead(200, {
        'content-type': 'application/json',
        'content-length': answer.length,
        ...answer.headers,
        ...(requestId ? { 'x-request-id': requestId } : {}),
      });
      outgoing.cork();
      for (const chunk of answer.chunks) outgoing.write(chunk);
      outgoing.end();
      return RESPONSE_ALREADY_SENT;
    } catch (error) {
      logger.error('mcp request failed', { catalog: endpoints.label, method: c.req.method, error: (error as Error)?.message ?? String(error) });
      return jsonRpcError(500, SERVER_ERROR, 'Internal error; see the server log');
    }
  }
  return app;
}
