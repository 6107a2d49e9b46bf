import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isDatabaseUnavailable } from '../db/health.ts';
import type { StatusView } from '../observability/process-status.ts';
import type { ToolCaller } from '../registry/call.ts';
import type { ToolCatalog } from '../registry/catalog.ts';
import type { ToolWrites } from '../registry/tool-writes.ts';
import { AppError, type ErrorCode, errorBody } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { RestEnv } from './env.ts';
import { adminAuth } from './middleware/admin-auth.ts';
import { type DatabaseProbe, healthRoutes, readyRoutes } from './routes/health.ts';
import { infoRoutes } from './routes/info.ts';
import { toolsRoutes } from './routes/tools.ts';

export interface RestAppDeps {
  /** The name errors carry as `server`. */
  server: string;
  catalog: ToolCatalog;
  caller: ToolCaller;
  writes: ToolWrites;
  adminToken: string | undefined;
  maxBodyBytes: number;
  status: () => StatusView;
  /** Marks the database unreachable when a request fails for that reason. */
  databaseFailed: (error: string) => void;
  database: DatabaseProbe;
  version: string;
  port: () => number | null;
  logger: Logger;
}

function fromHttpException(error: HTTPException): AppError {
  const byStatus: Record<number, ErrorCode> = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'payload_too_large' };
  return new AppError(byStatus[error.status] ?? 'internal', error.message || 'Request failed');
}

/** The REST routes of one listener; every error leaves in the one envelope. */
export function createRestApp(deps: RestAppDeps): Hono<RestEnv> {
  const { server, catalog, logger } = deps;
  const app = new Hono<RestEnv>();
  // REST bodies are bounded where they are read (readJson), without building a fetch Request.
  app.route('/health', healthRoutes({ server, status: deps.status, database: deps.database }));
  app.route('/ready', readyRoutes({ server, database: deps.database }));
  app.route('/info', infoRoutes({ catalog, version: deps.version, databaseKind: deps.database.kind, startedAt: deps.status().startedAt, port: deps.port }));
  app.route('/tools', toolsRoutes({ catalog, caller: deps.caller, writes: deps.writes, auth: adminAuth(deps.adminToken), maxBodyBytes: deps.maxBodyBytes }));

  app.notFound((c) => {
    const error = new AppError('not_found', `No route ${c.req.method} ${new URL(c.req.url).pathname}`);
    return c.json(errorBody(error, server), 404);
  });

  app.onError((thrown, c) => {
    let error: AppError;
    if (thrown instanceof AppError) error = thrown;
    else if (thrown instanceof HTTPException) error = fromHttpException(thrown);
    else if (isDatabaseUnavailable(thrown)) {
      deps.databaseFailed(thrown.message);
      error = new AppError('unavailable', `The database is unreachable (${thrown.message}); registry writes fail until it returns, calls are still served`);
    } else {
      logger.error('unhandled error', { server, method: c.req.method, path: c.req.path, error: thrown.message });
      error = new AppError('internal', 'Internal error; see the server log');
    }
    return c.json(errorBody(error, server), error.status as 400);
  });

  return app;
}
