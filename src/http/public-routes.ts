import type { Hono } from 'hono';
import type { RestAppDeps } from './app-deps.ts';
import type { RestEnv } from './env.ts';
import { docsRoutes } from './routes/docs.ts';
import { healthRoutes, readyRoutes } from './routes/health.ts';
import { indexRoutes } from './routes/index-route.ts';
import { metricsRoute } from './routes/metrics.ts';
import { uiSessionRoutes } from './routes/ui-session.ts';

/**
 * The REST routes that need no credential, mounted behind the Origin/Host
 * guard and ahead of the credential: /health and /ready (for load
 * balancers), the admin UI's sign-in and pages, /metrics when open, the docs
 * and the index.
 */
export function mountPublicRoutes(app: Hono<RestEnv>, deps: RestAppDeps): void {
  const { server, catalog, access } = deps;
  const prefix = deps.pathPrefix;
  app.route(
    '/health',
    healthRoutes({
      server,
      status: deps.status,
      database: deps.database,
      audit: deps.audit.health,
      deployment: deps.deployment,
      upstreams: deps.upstreams ? () => deps.upstreams!.upstreams.statuses() : undefined,
    }),
  );
  app.route('/ready', readyRoutes({ server, database: deps.database }));
  if (deps.ui && deps.uiSessions) {
    // Sign-in and the pages need no credential; everything the pages do goes through the routes below, as any client's requests do.
    app.route(
      '/ui/session',
      uiSessionRoutes({
        server,
        access,
        sessions: deps.uiSessions,
        mode: deps.ui.mode,
        limits: { maxBytes: 16 * 1024, maxDepth: 4 },
        record: deps.audit.record,
      }),
    );
    app.route('/ui', deps.ui.assets);
  }
  if (deps.metrics?.open) app.get('/metrics', metricsRoute(deps.metrics.metrics));
  app.route(
    '/',
    docsRoutes({
      catalog,
      access,
      shape: {
        server,
        title: `Toolport: ${catalog.label}`,
        version: deps.version,
        prefix: prefix ?? '',
        features: new Set([
          ...(deps.metrics ? (['metrics'] as const) : []),
          ...(deps.servers ? (['servers'] as const) : []),
          ...(deps.registryFiles ? (['registry'] as const) : []),
          ...(deps.upstreams ? (['upstreams'] as const) : []),
          ...(deps.ui && deps.uiSessions ? (['ui'] as const) : []),
        ]),
        metricsOpen: deps.metrics?.open === true,
      },
    }),
  );
  app.route(
    '/',
    indexRoutes({
      server,
      version: deps.version,
      prefix: prefix ?? '',
      links: {
        health: '/health',
        ready: '/ready',
        info: '/info',
        tools: '/tools',
        mcp: '/mcp',
        handlers: '/handlers',
        openapi: '/openapi.json',
        docs: '/docs',
        ...(deps.metrics ? { metrics: '/metrics' } : {}),
        ...(deps.servers ? { servers: '/servers' } : {}),
        ...(deps.registryFiles ? { registry: '/registry/export' } : {}),
        ...(deps.ui ? { ui: '/ui' } : {}),
      },
    }),
  );
}
