import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { getPath } from 'hono/utils/url';
import type { AccessControl } from '../auth/access.ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { UiSessions } from '../auth/ui-sessions.ts';
import type { AuditFilter, AuditPage } from '../db/audit-store.ts';
import { isDatabaseUnavailable } from '../db/health.ts';
import type { AuditEntry } from '../observability/audit-entry.ts';
import type { AuditHealth } from '../observability/audit-queue.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { StatusView } from '../observability/process-status.ts';
import type { ToolCaller } from '../registry/call.ts';
import { auditedErrors } from '../registry/call-guard.ts';
import type { ToolCatalog } from '../registry/catalog.ts';
import type { DataSourceCatalog } from '../registry/data-source-catalog.ts';
import type { DataSourceWrites } from '../registry/data-source-writes.ts';
import type { RegistryFiles } from '../registry/registry-files.ts';
import type { ServerWrites } from '../registry/server-writes.ts';
import type { ToolHistory } from '../registry/tool-history.ts';
import type { ToolWrites } from '../registry/tool-writes.ts';
import { databaseFailureReason } from '../shared/database-reason.ts';
import { AppError, type ErrorCode, errorBody } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { SecretReader } from '../shared/secrets.ts';
import type { RestEnv } from './env.ts';
import { credential, requireScope, requireVisibility, type ScopeChallenge, stillAdmitted } from './middleware/credential.ts';
import { originGuard } from './middleware/origin-guard.ts';
import { requestIds } from './middleware/request-id.ts';
import { auditRoutes } from './routes/audit.ts';
import { changesRoutes } from './routes/changes.ts';
import { dataSourcesRoutes } from './routes/data-sources.ts';
import { docsRoutes } from './routes/docs.ts';
import { handlersRoutes, type KnownHandlers } from './routes/handlers.ts';
import { type DatabaseProbe, healthRoutes, readyRoutes } from './routes/health.ts';
import { indexRoutes } from './routes/index-route.ts';
import { infoRoutes } from './routes/info.ts';
import { keysRoutes } from './routes/keys.ts';
import { metricsRoute, requestCounter } from './routes/metrics.ts';
import { oauthMetadataRoutes } from './routes/oauth-metadata.ts';
import { registryFileRoutes } from './routes/registry-file.ts';
import { serversRoutes } from './routes/servers.ts';
import { toolPacksRoutes } from './routes/tool-packs.ts';
import { toolsRoutes } from './routes/tools.ts';
import { uiSessionRoutes } from './routes/ui-session.ts';
import { type UpstreamsRoutesDeps, upstreamsRoutes } from './routes/upstreams.ts';

export interface RestAppDeps {
  /** The name errors carry as `server`. */
  server: string;
  catalog: ToolCatalog;
  caller: ToolCaller;
  writes: ToolWrites;
  /** GET /tools/:name/revisions, …/diff (rollback writes through `writes`). */
  history: ToolHistory;
  /** /data-sources (admin only): the sources of this process, their write service, and the secret reader (asked only whether a secret is set). */
  dataSources: { catalog: DataSourceCatalog; writes: DataSourceWrites; secret: SecretReader };
  /** /upstreams (admin only): other MCP servers whose tools servers carry. */
  upstreams?: Pick<UpstreamsRoutesDeps, 'registry' | 'upstreams'> | undefined;
  /** Who is calling (admin token, API keys, OAuth, local-open) → a Principal; every route but /health, /ready and the OAuth metadata asks. */
  access: AccessControl;
  /** /keys (admin). */
  keys: ApiKeys;
  /** /servers (admin): the servers table without SQL. */
  servers?: ServerWrites | undefined;
  /** /registry/export and /registry/apply (admin): the registry as a registry file. */
  registryFiles?: RegistryFiles | undefined;
  /** /metrics (admin, or open with TOOLPORT_METRICS_OPEN=1) and the count of every answered request. */
  metrics?: { metrics: Metrics; open: boolean } | undefined;
  /** /audit (admin) reads the store after flushing this process's queue; /health shows the queue. */
  audit: {
    reader: { list(filter: AuditFilter): Promise<AuditPage> };
    beforeRead?: () => Promise<void>;
    health: () => AuditHealth;
    /** Where a refused request of a known caller (403: a scope it lacks) is recorded, as `access.denied`. */
    record?: (entry: AuditEntry) => void;
  };
  maxBodyBytes: number;
  /** Nesting depth a JSON body may have (TOOLPORT_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  /** The address the listener binds to and the extra browser origins allowed (Origin/Host checks on every route). */
  bindHost: string;
  allowedOrigins: string[];
  /**
   * Apps mounted beside the REST routes (/mcp): routed ahead of the REST
   * Origin/Host guard, because they check those themselves and answer in
   * their own error shape.
   */
  beside?: { path: string; app: Hono<any> }[];
  /** Default page size of GET /tools. */
  toolsPageSize: number;
  /** The handlers this process knows now, for GET /handlers. */
  handlers: () => KnownHandlers;
  status: () => StatusView;
  /** Marks the database unreachable when a request fails for that reason. */
  databaseFailed: (error: string) => void;
  database: DatabaseProbe;
  version: string;
  /** The port any server's own listener is bound to in this process (GET /servers' listeningPort). */
  listeningPort?: ((serverId: string) => number | undefined) | undefined;
  /** The port this server listens on here, and its row's (they differ under TOOLPORT_SERVERS=finance:4001). */
  port: () => { port: number | null; configured: number | null };
  logger: Logger;
  /**
   * Where this app is mounted on the gateway (`/finance`): routes see the
   * path without it, and a Location header gets it back. Unset on a server's own port.
   */
  pathPrefix?: string | undefined;
  /** The gateway's root app: every server as /health and /info summarize it. */
  deployment?: (() => DeploymentSummary) | undefined;
  /** Admin UI sessions: the session cookie is accepted in place of `Authorization` on every route below the credential. */
  uiSessions?: UiSessions | undefined;
  /** The admin UI served here at /ui (its pages and assets; /ui/session signs in): on the gateway, or on each listener without one. */
  ui?: { assets: Hono<any>; mode: 'gateway' | 'listener' } | undefined;
}

/** One server as the gateway's /health and /info show it. */
export interface ServerSummary {
  id: string;
  status: 'ok' | 'degraded' | 'listener_failed';
  /** Why it is not ok (tools unavailable, the listener's error). */
  reason?: string;
  port: number | null;
  path: string;
  tools: { total: number; available: number };
}

export interface DeploymentSummary {
  servers: ServerSummary[];
  /** Tools the composed /mcp leaves out, and why (a clash made in SQL, a name too long). */
  composedProblems?: readonly string[];
}

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

/**
 * The REST routes of one listener; every error leaves in the one envelope.
 * Order: a request id for everything (/mcp included), the apps beside
 * (/mcp, the OAuth metadata: their own checks), the Origin/Host guard,
 * /health and /ready (for load balancers: no credential), then who is
 * calling, then the routes, each with the scope it needs.
 */
export function createRestApp(deps: RestAppDeps): Hono<RestEnv> {
  const { server, catalog, access, logger } = deps;
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
  app.route('/changes', changesRoutes({ server, reads, stillAdmitted: stillAdmitted(access, { server, sessions: deps.uiSessions }) }));
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

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const error = new AppError('not_found', `No route ${c.req.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path}`);
    return c.json(errorBody(error, server, c.get('requestId')), 404);
  });

  app.onError((thrown, c) => {
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
  });

  return app;
}
