import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isDatabaseUnavailable } from '../db/health.ts';
import { auditedErrors } from '../registry/call-guard.ts';
import { databaseFailureReason } from '../shared/database-reason.ts';
import { AppError, type ErrorCode, errorBody } from '../shared/errors.ts';
import type { RestAppDeps } from './app-deps.ts';
import type { RestEnv } from './env.ts';

/**
 * How the REST routes of one listener answer what they did not: an unknown
 * path, and anything thrown, both in the one error envelope.
 */

function fromHttpException(error: HTTPException): AppError {
  const byStatus: Record<number, ErrorCode> = {
    400: 'bad_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'rate_limited',
  };
  return new AppError(byStatus[error.status] ?? 'internal', error.message || 'Request failed');
}

/** 404 for a path no route matches (the path cut to 200 characters in the message). */
export function notFoundHandler(server: string): NotFoundHandler<RestEnv> {
  return (c) => {
    const path = new URL(c.req.url).pathname;
    const error = new AppError('not_found', `No route ${c.req.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`);
    return c.json(errorBody(error, server, c.get('requestId')), 404);
  };
}

/**
 * Anything thrown, as an AppError: an HTTPException by its status, an
 * unreachable database as `unavailable` (and reported through
 * deps.databaseFailed), anything else as `internal` (logged). A refused
 * scope is audited as `access.denied`; a rate limit sets Retry-After.
 */
export function errorHandler(deps: Pick<RestAppDeps, 'server' | 'logger' | 'databaseFailed' | 'audit'>): ErrorHandler<RestEnv> {
  const { server, logger } = deps;
  return (thrown, c) => {
    let error: AppError;
    if (thrown instanceof AppError) error = thrown;
    else if (thrown instanceof HTTPException) error = fromHttpException(thrown);
    else if (isDatabaseUnavailable(thrown)) {
      // The driver's message carries the failed query's SQL and parameters: the log gets it, the client and /health a reason built from the error code.
      const reason = databaseFailureReason(thrown);
      logger.warn('database unreachable during a request', { server, method: c.req.method, path: c.req.path, error: thrown.message });
      deps.databaseFailed(reason);
      error = new AppError('unavailable', `The database is unreachable (${reason}); registry writes fail until it returns, calls are still served`);
    } else {
      logger.error('unhandled error', { server, method: c.req.method, path: c.req.path, error: thrown.message });
      error = new AppError('internal', 'Internal error; see the server log');
    }
    // A known caller refused for a scope it lacks: who tried what is audited (calls the guard refused are audited there already).
    if (error.code === 'forbidden' && typeof error.extra?.scope === 'string' && !auditedErrors.has(thrown as object)) {
      const principal = c.get('principal');
      if (principal && deps.audit.record) {
        deps.audit.record({
          action: 'access.denied',
          actor: principal.actor,
          actorName: principal.name,
          requestId: c.get('requestId') ?? null,
          serverId: server,
          outcome: 'forbidden',
          details: { method: c.req.method, path: c.req.path.slice(0, 200), scope: error.extra.scope },
        });
      }
    }
    // A rate limit says when to come back (RFC 9110 Retry-After, whole seconds); the body carries retryAfterMs too.
    if (error.code === 'rate_limited' && typeof error.extra?.retryAfterSeconds === 'number') c.header('Retry-After', String(error.extra.retryAfterSeconds));
    return c.json(errorBody(error, server, c.get('requestId')), error.status as 400);
  };
}
