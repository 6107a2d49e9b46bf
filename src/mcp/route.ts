import { Hono } from 'hono';
import type { Logger } from '../logger.ts';
import type { ListenerEnv } from '../http/env.ts';
import type { McpEndpoint } from './endpoint.ts';
import { jsonRpcError, SERVER_ERROR } from './jsonrpc.ts';

/**
 * `/mcp` of one listener. Mounted ahead of the app's REST body limit and
 * error envelope: the endpoint bounds its body itself (same
 * TOOLPORT_MAX_BODY_BYTES) and answers every failure as JSON-RPC.
 */
export function mcpRoutes(endpoint: McpEndpoint, logger: Logger): Hono<ListenerEnv> {
  const app = new Hono<ListenerEnv>();
  app.all('/', async function mcp(c) {
    try {
      return await endpoint.handle(c.req.raw);
    } catch (error) {
      logger.error('mcp request failed', { server: endpoint.serverId, method: c.req.method, error: (error as Error)?.message ?? String(error) });
      return jsonRpcError(500, SERVER_ERROR, 'Internal error; see the server log');
    }
  });
  return app;
}
