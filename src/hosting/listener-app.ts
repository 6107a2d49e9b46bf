import type { Hono } from 'hono';
import type { AccessControl } from '../auth/access.ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { UiSessions } from '../auth/ui-sessions.ts';
import type { AuditStore } from '../db/audit-store.ts';
import type { Database } from '../db/client.ts';
import { createRestApp } from '../http/app.ts';
import type { RestAppDeps } from '../http/app-deps.ts';
import type { ServerChangeSubscription } from '../http/routes/changes.ts';
import type { KnownHandlers } from '../http/routes/handlers.ts';
import type { DatabaseProbe } from '../http/routes/health.ts';
import { mcpRoutes } from '../mcp/route.ts';
import { createScopedMcpEndpoints } from '../mcp/scoped-endpoints.ts';
import type { SharedSessions } from '../mcp/shared-sessions.ts';
import type { AuditLog } from '../observability/audit-queue.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ProcessStatus } from '../observability/process-status.ts';
import type { ToolCaller } from '../registry/call.ts';
import { serverCatalog, type ToolCatalog } from '../registry/catalog.ts';
import type { DataSourceCatalog } from '../registry/data-source-catalog.ts';
import type { DataSourceWrites } from '../registry/data-source-writes.ts';
import type { Registry } from '../registry/registry.ts';
import type { RegistryFiles } from '../registry/registry-files.ts';
import type { ServerWrites } from '../registry/server-writes.ts';
import type { ToolHistory } from '../registry/tool-history.ts';
import type { ToolWrites } from '../registry/tool-writes.ts';
import type { Config } from '../shared/config.ts';
import { databaseFailureReason } from '../shared/database-reason.ts';
import type { Logger } from '../shared/logger.ts';

/** What a listener's app is made of (built once in main/, shared by every listener). */
export interface ListenerAppDeps {
  config: Pick<
    Config,
    | 'host'
    | 'adminToken'
    | 'maxBodyBytes'
    | 'toolsPageSize'
    | 'allowedOrigins'
    | 'mcpSessionIdleMs'
    | 'mcpMaxSessions'
    | 'limits'
    | 'secret'
    | 'metricsOpen'
    | 'maxChangeStreams'
  >;
  database: Database;
  registry: Registry;
  /** The guarded call path (scopes, rate limits, audit: main/access-runtime.ts). */
  caller: ToolCaller;
  writes: ToolWrites;
  /** A tool's revisions and diffs. */
  history: ToolHistory;
  /** /servers. */
  serverWrites?: ServerWrites | undefined;
  /** /registry/export, /registry/apply. */
  registryFiles?: RegistryFiles | undefined;
  /** /metrics, the HTTP request counter, and this app's MCP sessions and streams. */
  metrics?: Metrics | undefined;
  /** Who is calling (API keys, the admin token, OAuth per server, TOOLPORT_AUTH). */
  access: AccessControl;
  /** /keys. */
  keys: ApiKeys;
  /** /audit reads the store (after flushing this process's queue); /health shows the queue's drops. */
  audit: { store: AuditStore; log: AuditLog };
  dataSources: { catalog: DataSourceCatalog; writes: DataSourceWrites };
  status: ProcessStatus;
  logger: Logger;
  version: string;
  /** The handlers this process knows now (built in and from handler modules), for GET /handlers. */
  handlers: () => KnownHandlers;
  /** /upstreams: the upstreams table and its connections. */
  upstreams?: RestAppDeps['upstreams'];
  /** 2025-era MCP sessions shared by every process on the database (absent: each app's own, in memory). */
  sharedSessions?: SharedSessions | undefined;
  /**
   * The admin UI: its sessions (the cookie is accepted on every app) and its
   * pages (admin/ui-assets.ts), served at /ui on the gateway, and on each
   * listener too when `onListeners` (no gateway configured).
   */
  ui?: { sessions: UiSessions; assets: Hono<any>; onListeners: boolean } | undefined;
  /** The port a server's listener is bound to in this process (TOOLPORT_SERVERS may move it off its row's); undefined when it has none. */
  listeningPort?: (serverId: string) => number | undefined;
  /** Changes of the servers table as this process applies them (GET /changes' `servers` events). */
  serverChanges?: ServerChangeSubscription | undefined;
}

export interface ListenerApp {
  app: Hono<any>;
  /** Ends the app's long-lived MCP streams and sessions, so a listener can drain without waiting on them. */
  close(): Promise<void>;
}

const PING_TIMEOUT_MS = 2000;

/** A round trip to the database, bounded in time, reported to the process status. */
export function databaseProbe(database: Database, status: ProcessStatus): DatabaseProbe {
  return {
    kind: database.kind,
    async ping() {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          database.query('select 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
          }),
        ]).finally(() => clearTimeout(timer));
        status.database.report(true);
        return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
      } catch (error) {
        status.database.report(false, databaseFailureReason(error));
        return { ok: false, error: (error as Error).message };
      }
    },
  };
}

/**
 * One server's listener app: REST over its catalog, with /mcp mounted beside
 * it. `pathPrefix` (`/finance`): the same app as the gateway serves it under
 * that path (its own MCP sessions; the same catalog, call path and access).
 */
export function createListenerApp(deps: ListenerAppDeps, serverId: string, pathPrefix?: string): ListenerApp {
  const ui = deps.ui?.onListeners && !pathPrefix ? ('listener' as const) : undefined;
  return createServingApp(deps, { serverId, catalog: serverCatalog(deps.registry, serverId), pathPrefix, ui });
}

/** What a served app is over: one server's catalog, or the gateway's composed one (its own caller, search tools, summary). */
export interface ServingShape {
  /** Whose OAuth settings and scopes apply; the `server` of error bodies. */
  serverId: string;
  catalog: ToolCatalog;
  /** The call path (default: the guarded caller of the deps). */
  caller?: ToolCaller;
  pathPrefix?: string | undefined;
  /** What each MCP visibility class is shown (the composed /mcp's search tools). */
  present?: (scoped: ToolCatalog) => ToolCatalog;
  deployment?: RestAppDeps['deployment'];
  /** Serve the admin UI at /ui here, and as what (the gateway's, with every server under /<id>, or one listener's). */
  ui?: 'gateway' | 'listener' | undefined;
}

export function createServingApp(deps: ListenerAppDeps, shape: ServingShape): ListenerApp {
  const { config, registry, logger } = deps;
  const { serverId, catalog, pathPrefix } = shape;
  const caller = shape.caller ?? deps.caller;
  const mcp = createScopedMcpEndpoints({
    serverId,
    catalog,
    caller,
    logger,
    version: deps.version,
    bindHost: config.host,
    allowedOrigins: config.allowedOrigins,
    maxBodyBytes: config.maxBodyBytes,
    maxJsonDepth: config.limits.jsonDepth,
    sessionIdleMs: config.mcpSessionIdleMs,
    maxSessions: config.mcpMaxSessions,
    sharedSessions: deps.sharedSessions ? { serverId, shared: deps.sharedSessions } : undefined,
    ...(shape.present ? { present: shape.present } : {}),
  });
  const app = createRestApp({
    server: serverId,
    catalog,
    caller,
    writes: deps.writes,
    history: deps.history,
    access: deps.access,
    keys: deps.keys,
    servers: deps.serverWrites,
    registryFiles: deps.registryFiles,
    audit: {
      reader: deps.audit.store,
      beforeRead: () => deps.audit.log.flush(),
      health: () => deps.audit.log.health(),
      record: (entry) => deps.audit.log.record(entry),
    },
    dataSources: { ...deps.dataSources, secret: config.secret },
    upstreams: deps.upstreams,
    maxBodyBytes: config.maxBodyBytes,
    maxJsonDepth: config.limits.jsonDepth,
    bindHost: config.host,
    allowedOrigins: config.allowedOrigins,
    // /mcp checks Origin/Host, bounds and vets its body itself, and answers in JSON-RPC, not in the REST envelope.
    beside: [{ path: '/mcp', app: mcpRoutes(mcp, { access: deps.access, serverId, logger }) }],
    toolsPageSize: config.toolsPageSize,
    maxChangeStreams: config.maxChangeStreams,
    handlers: deps.handlers,
    status: () => deps.status.view(),
    databaseFailed: (error) => deps.status.database.report(false, error),
    database: databaseProbe(deps.database, deps.status),
    version: deps.version,
    listeningPort: deps.listeningPort,
    serverChanges: deps.serverChanges,
    port: () => {
      const configured = registry.snapshot(serverId)?.server.port ?? null;
      return { port: deps.listeningPort?.(serverId) ?? configured, configured };
    },
    logger,
    pathPrefix,
    deployment: shape.deployment,
    metrics: deps.metrics ? { metrics: deps.metrics, open: config.metricsOpen } : undefined,
    uiSessions: deps.ui?.sessions,
    ui: deps.ui && shape.ui ? { assets: deps.ui.assets, mode: shape.ui } : undefined,
  });
  // The gateway's paths count under their server too: /metrics sums every endpoint of a server.
  const untrack = deps.metrics?.trackMcp(serverId, () => mcp.counts());
  return {
    app,
    close: () => {
      untrack?.();
      return mcp.close();
    },
  };
}
