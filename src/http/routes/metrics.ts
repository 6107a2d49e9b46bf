import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Context } from 'hono';
import type { Metrics } from '../../observability/metrics.ts';
import type { RestEnv } from '../env.ts';

/**
 * GET /metrics — the Prometheus text exposition of the process's metrics
 * (every listener and the gateway show the same process-wide figures).
 * Mounted behind the `admin` scope, or before the credential check with
 * TOOLPORT_METRICS_OPEN=1 (app.ts).
 */
export function metricsRoute(metrics: Metrics) {
  return async (c: Context<RestEnv>) => {
    const { body, contentType } = await metrics.text();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  };
}

/** The matched route's pattern (`/tools/:name`), never the path: a bounded label. Unmatched paths share one. */
function routeOf(c: Context<RestEnv>): string {
  const pattern = c.req.routePath;
  return pattern === '*' || pattern === '/*' || pattern === '' ? '(unmatched)' : pattern;
}

/**
 * Counts an answered request by server, route pattern and status (run by
 * the request-id middleware once the route answered). An answer the route
 * wrote to Node's response itself (the MCP fast path) has its status there;
 * anything else is Hono's response.
 */
export function requestCounter(metrics: Metrics, server: string): (c: Context<RestEnv>) => void {
  return (c) => {
    const outgoing = c.env?.outgoing;
    const status = c.res === RESPONSE_ALREADY_SENT && outgoing ? outgoing.statusCode : c.res.status;
    metrics.request(server, routeOf(c), status);
  };
}
