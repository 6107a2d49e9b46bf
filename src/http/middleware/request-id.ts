import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { RestEnv } from '../env.ts';

/**
 * Every request's id (`c.get('requestId')`, the audit entry's request_id):
 * the client's `X-Request-Id` when it is well formed (1–255 of A–Z a–z 0–9
 * _ - =, the rule of hono's requestId middleware), a UUID otherwise; echoed
 * back as `X-Request-Id` on every answer, errors and /mcp included.
 *
 * The header goes on Node's response (setHeader, merged into whatever
 * writeHead sends later) rather than on Hono's context: a context header
 * turns the answer's plain header object into a fetch `Headers`, which
 * @hono/node-server then converts back — measured as a large share of a
 * small call's cost. In-process `app.request()` (no Node response) uses the
 * context.
 */
const WELL_FORMED = /^[\w\-=]{1,255}$/;

/** `answered`, when given, runs once the route has answered (the request counter of /metrics): one middleware for both, one step less per request. */
export function requestIds(answered?: (c: Context<RestEnv>) => void): MiddlewareHandler<RestEnv> {
  return function assignRequestId(c, next) {
    const given = c.req.header('x-request-id');
    const id = given !== undefined && WELL_FORMED.test(given) ? given : randomUUID();
    c.set('requestId', id);
    const outgoing = c.env?.outgoing;
    if (outgoing && !outgoing.headersSent) outgoing.setHeader('X-Request-Id', id);
    else c.header('X-Request-Id', id);
    return answered ? next().then(() => answered(c)) : next();
  };
}
