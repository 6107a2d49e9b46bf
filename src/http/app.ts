import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps } from '../deps.ts';
import { AppError, errorBody, type ErrorCode } from '../errors.ts';
import type { ListenerEnv } from './env.ts';
import { createMcpEndpoint } from '../mcp/endpoint.ts';
import { mcpRoutes } from '../mcp/route.ts';
import { isDatabaseUnavailable } from '../db/health.ts';
import { healthRoutes, readyRoutes } from './routes/health.ts';
import { infoRoutes } from './routes/info.ts';
import { toolsRoutes } from './routes/tools.ts';

function fromHttpException(error: HTTPException): AppError {
  const byStatus: Record<number, ErrorCode> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'payload_too_large' };
  return new AppError(byStatus[error.status] ?? 'internal', error.message || 'Request failed');
}

export interface ListenerApp {
  app: Hono<ListenerEnv>;
  /** Ends the app's long-lived MCP streams and sessions, so a listener can drain without waiting on them. */
  close(): Promise<void>;
}

/** One Hono app per listener (server id); every error leaves in the one envelope. */
export function createApp(deps: AppDeps, serverId: string): ListenerApp {
  const app = new Hono<ListenerEnv>();
  const mcp = createMcpEndpoint(deps, serverId);

  app.use('*', async function bindDeps(c, next) {
    c.set('deps', deps);
    c.set('serverId', serverId);
    await next();
  });
  // /mcp bounds its body itself and answers in JSON-RPC, not in the REST envelope.
  app.route('/mcp', mcpRoutes(mcp, deps.logger));
  // REST bodies are bounded where they are read (readJson), without building a fetch Request.
  app.route('/health', healthRoutes());
  app.route('/ready', readyRoutes());
  app.route('/info', infoRoutes());
  app.route('/tools', toolsRoutes(deps.config.adminToken));

  app.notFound((c) => {
    const error = new AppError('not_found', `No route ${c.req.method} ${new URL(c.req.url).pathname}`);
    return c.json(errorBody(error, serverId), 404);
  });

  app.onError((thrown, c) => {
    let error: AppError;
    if (thrown instanceof AppError) error = thrown;
    else if (thrown instanceof HTTPException) error = fromHttpException(thrown);
    else if (isDatabaseUnavailable(thrown)) {
      deps.health.report(false, thrown.message);
      error = new AppError('unavailable', `The database is unreachable (${thrown.message}); registry writes fail until it returns, calls are still served`);
    } else {
      deps.logger.error('unhandled error', { server: serverId, method: c.req.method, path: c.req.path, error: thrown.message });
      error = new AppError('internal', 'Internal error; see the server log');
    }
    return c.json(errorBody(error, serverId), error.status as 400);
  });

  return { app, close: () => mcp.close() };
}
