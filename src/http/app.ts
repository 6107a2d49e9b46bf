import { Hono } from 'hono';
import { getPath } from 'hono/utils/url';
import type { RestAppDeps } from './app-deps.ts';
import type { RestEnv } from './env.ts';
import { errorHandler, notFoundHandler } from './error-handler.ts';
import { credential, requireScope, requireVisibility, type ScopeChallenge, stillAdmitted } from './middleware/credential.ts';
import { originGuard } from './middleware/origin-guard.ts';
import { requestIds } from './middleware/request-id.ts';
import { mountPublicRoutes } from './public-routes.ts';
import { auditRoutes } from './routes/audit.ts';
import { changesRoutes } from './routes/changes.ts';
import { dataSourcesRoutes } from './routes/data-sources.ts';
import { handlersRoutes } from './routes/handlers.ts';
import { infoRoutes } from './routes/info.ts';
import { keysRoutes } from './routes/keys.ts';
import { metricsRoute, requestCounter } from './routes/metrics.ts';
import { oauthMetadataRoutes } from './routes/oauth-metadata.ts';
import { registryFileRoutes } from './routes/registry-file.ts';
import { serversRoutes } from './routes/servers.ts';
import { toolPacksRoutes } from './routes/tool-packs.ts';
import { toolsRoutes } from './routes/tools.ts';
import { upstreamsRoutes } from './routes/upstreams.ts';

/**
 * The REST routes of one listener; every error leaves in the one envelope.
 * Order: a request id for everything (/mcp included), the apps beside
 * (/mcp, the OAuth metadata: their own checks), the Origin/Host guard,
 * /health, /ready (for load balancers) and the other routes that need no
 * credential (mountPublicRoutes), then who is calling, then the routes, each
 * with the scope it needs. Unknown paths and anything thrown are answered
 * by error-handler.ts.
 */
export function createRestApp(deps: RestAppDeps): Hono<RestEnv> {
  const { server, catalog, access } = deps;
  const prefix = deps.pathPrefix;
  // Under a prefix the router sees `/tools`, not `/finance/tools`: the same routes, matched the same way.
  const app = new Hono<RestEnv>(prefix ? { getPath: (request) => getPath(request).slice(prefix.length) || '/' } : {});
  app.use('*', requestIds(deps.metrics ? requestCounter(deps.metrics.metrics, server) : undefined));
  if (prefix) {
    // Only the creating routes set a Location: the call path does not pay for the rewrite.
    app.on('POST', ['/tools', '/keys', '/data-sources', '/servers'], async (c, next) => {
      await next();
      const location = c.res.headers.get('location');
      if (location?.startsWith('/')) c.res.headers.set('location', prefix + location);
    });
  }
  for (const mounted of deps.beside ?? []) app.route(mounted.path, mounted.app);
  // Public (RFC 9728) and read cross-origin by browser-based MCP clients: before the Origin guard and the credential.
  app.route('/', oauthMetadataRoutes({ settings: () => access.oauthSettings(server) ?? null, resourceName: () => catalog.view()?.info.name }));
  // Every REST route, and unknown paths, after the mounts above: a foreign browser Origin or a rebound Host gets 403.
  app.use('*', originGuard({ bindHost: deps.bindHost, allowedOrigins: deps.allowedOrigins }));
  // REST bodies are bounded and vetted where they are read (readJson), without building a fetch Request.
  mountPublicRoutes(app, deps);
  // Everything below needs a caller: a Principal, and this server's catalog as it sees it (c.get('catalog')).
  app.use('*', credential(access, { server, catalog, sessions: deps.uiSessions }));

  const challenge: ScopeChallenge = (scope) => access.insufficientScopeChallenge(server, scope);
  const reads = requireVisibility(server, challenge, catalog);
  const writes = requireScope('write', server, challenge);
  const admin = requireScope('admin', '*', challenge);
  const limits = { maxBytes: deps.maxBodyBytes, maxDepth: deps.maxJsonDepth };

  app.use('/info', reads);
  app.route(
    '/info',
    infoRoutes({ version: deps.version, databaseKind: deps.database.kind, startedAt: deps.status().startedAt, port: deps.port, deployment: deps.deployment }),
  );
  app.use('/handlers', reads);
  app.route('/handlers', handlersRoutes(deps.handlers));
  app.route(
    '/changes',
    changesRoutes({
      server,
      reads,
      maxStreams: deps.maxChangeStreams,
      stillAdmitted: stillAdmitted(access, { server, sessions: deps.uiSessions }),
      serverChanges: deps.serverChanges,
    }),
  );
  app.route('/tools/packs', toolPacksRoutes({ catalog, writes: deps.writes, auth: writes, challenge, limits }));
  app.route(
    '/tools',
    toolsRoutes({
      catalog,
      caller: deps.caller,
      writes: deps.writes,
      history: deps.history,
      auth: writes,
      reads,
      challenge,
      maxBodyBytes: deps.maxBodyBytes,
      maxJsonDepth: deps.maxJsonDepth,
      pageSize: deps.toolsPageSize,
    }),
  );
  app.route('/data-sources', dataSourcesRoutes({ ...deps.dataSources, auth: admin, limits }));
  app.route('/keys', keysRoutes({ keys: deps.keys, auth: admin, limits }));
  if (deps.upstreams) app.route('/upstreams', upstreamsRoutes({ ...deps.upstreams, auth: admin, limits }));
  if (deps.servers) app.route('/servers', serversRoutes({ writes: deps.servers, auth: admin, limits, listening: deps.listeningPort }));
  if (deps.registryFiles) app.route('/registry', registryFileRoutes({ files: deps.registryFiles, auth: admin, limits }));
  app.route('/audit', auditRoutes({ reader: deps.audit.reader, beforeRead: deps.audit.beforeRead, auth: admin }));
  if (deps.metrics && !deps.metrics.open) app.get('/metrics', admin, metricsRoute(deps.metrics.metrics));

  app.notFound(notFoundHandler(server));
  app.onError(errorHandler(deps));

  return app;
}
