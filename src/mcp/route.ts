import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { ListenerEnv } from '../http/env.ts';
import { createMcpEndpoint, type McpEndpoint } from './endpoint.ts';
import { jsonRpcError, SERVER_ERROR } from './jsonrpc.ts';

/**
 * Endpoints by the deps they were built with: the listener creates its app
 * (and so its endpoint) itself, and Toolport.stop() closes them all through
 * closeMcpEndpoints(deps) before it waits for connections to drain.
 */
const endpoints = new WeakMap<AppDeps, Set<McpEndpoint>>();

export async function closeMcpEndpoints(deps: AppDeps): Promise<void> {
  const open = endpoints.get(deps);
  if (!open) return;
  endpoints.delete(deps);
  await Promise.all([...open].map((endpoint) => endpoint.close()));
}

/**
 * `/mcp` of one listener. Mounted ahead of the app's REST body limit and
 * error envelope: the endpoint bounds its body itself (same
 * TOOLPORT_MAX_BODY_BYTES) and answers every failure as JSON-RPC.
 */
export function mcpRoutes(deps: AppDeps, serverId: string): Hono<ListenerEnv> {
  const endpoint = createMcpEndpoint(deps, serverId);
  let open = endpoints.get(deps);
  if (!open) endpoints.set(deps, (open = new Set()));
  open.add(endpoint);

  const app = new Hono<ListenerEnv>();
  app.all('/', async function mcp(c) {
    try {
      return await endpoint.handle(c.req.raw);
    } catch (error) {
      deps.logger.error('mcp request failed', { server: serverId, method: c.req.method, error: (error as Error)?.message ?? String(error) });
      return jsonRpcError(500, SERVER_ERROR, 'Internal error; see the server log');
    }
  });
  return app;
}
