import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import type { Logger } from '../shared/logger.ts';
import type { McpEndpoint } from './endpoint.ts';
import { EncodedResult } from './fast-path/index.ts';
import { jsonRpcError, SERVER_ERROR } from './jsonrpc.ts';

/**
 * `/mcp` of one listener as a Hono app to mount. The endpoint bounds its
 * body itself (same TOOLPORT_MAX_BODY_BYTES as REST) and answers every
 * failure as JSON-RPC, not in the REST error envelope.
 */
export function mcpRoutes(endpoint: McpEndpoint, logger: Logger): Hono<{ Bindings: Partial<HttpBindings> }> {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.all('/', async function mcp(c) {
    try {
      const answer = await endpoint.handle(c.req.raw);
      if (!(answer instanceof EncodedResult)) return answer;
      const outgoing = c.env?.outgoing;
      if (!outgoing) return answer.toResponse();
      // A cached page goes out as its parts in one writev: no copy of the page per request.
      outgoing.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
      outgoing.cork();
      for (const chunk of answer.chunks) outgoing.write(chunk);
      outgoing.end();
      return RESPONSE_ALREADY_SENT;
    } catch (error) {
      logger.error('mcp request failed', { catalog: endpoint.label, method: c.req.method, error: (error as Error)?.message ?? String(error) });
      return jsonRpcError(500, SERVER_ERROR, 'Internal error; see the server log');
    }
  });
  return app;
}
