import { uiAssets } from '../admin/ui-assets.ts';
import type { OAuthVerifierOptions } from '../auth/oauth/verifier.ts';
import type { Database } from '../db/client.ts';
import { McpSessionStore } from '../db/mcp-session-store.ts';
import type { Handler } from '../handlers/define.ts';
import { handlers as builtInHandlers } from '../handlers/index.ts';
import { type Gateway, startGateway } from '../hosting/gateway.ts';
import { createGatewayRoot, type GatewayRoot } from '../hosting/gateway-root.ts';
import { createListenerApp, type ListenerAppDeps } from '../hosting/listener-app.ts';
import { type Listener, PortInUseError } from '../hosting/listeners.ts';
import { checkSelection, ServerManager } from '../hosting/server-manager.ts';
import { type SqlPort, startSqlPort } from '../hosting/sql-port.ts';
import { SharedSessions } from '../mcp/shared-sessions.ts';
import { DataSources } from '../providers/data-sources/index.ts';
import type { ChangeFeed } from '../registry/change-feed.ts';
import type { Config } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { type AccessRuntime, createAccessRuntime } from './access-runtime.ts';
import { followHandlerModules, HandlerModules } from './handler-modules.ts';
import { createChangeFeed, createRuntime, type Runtime, type RuntimeOptions, withHandlerKinds } from './runtime.ts';
import { VERSION } from './version.ts';

export { VERSION } from './version.ts';

export interface Toolport {
  /** The shared parts (store, registry, write service …), for commands and tests. */
  runtime: Runtime;
  feed: ChangeFeed;
  /** Keys, access control, rate limits, the audit log. */
  access: AccessRuntime;
  /** Live view: listeners come and go as servers rows change. */
  listeners: Map<string, Listener>;
  servers: ServerManager;
  /** TOOLPORT_GATEWAY_PORT's listener and its composed catalog, when configured. */
  gateway: (Gateway & { root: GatewayRoot }) | undefined;
  sqlPort: number | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** An already opened and migrated database (tests reuse one per file); closed by stop() only if opened here. */
  database?: Database;
  handlers?: ReadonlyMap<string, Handler>;
  /** Skip the embedded SQL port (tests). */
  sqlPort?: boolean;
  /** Where this embedded server is listed for `npm run sql` (default: `.toolport/running/` in the checkout; tests use their own). */
  runningDir?: string;
  fetch?: typeof fetch;
  /** Where the loaded data sources go (the pools), see RuntimeOptions.dataSources. */
  dataSources?: RuntimeOptions['dataSources'];
  /** OAuth verification knobs (tests shorten the JWKS refetch cooldown). */
  oauthVerifier?: OAuthVerifierOptions;
}

/**
 * Start: open the database → migrate → seed if empty → load each server →
 * one listener per server → follow the change feed (SQL edits, other
 * processes, new servers rows) for as long as it runs.
 */
export async function startToolport(config: Config, options: StartOptions = {}): Promise<Toolport> {
  const logger = options.logger ?? createLogger(config.logLevel, undefined, { pretty: config.logPretty });
  // Handler modules (TOOLPORT_HANDLERS_DIR) load before the registry, so the first snapshots already bind their tools.
  const kinds = withHandlerKinds(
    config,
    options.handlers ?? builtInHandlers,
    logger,
    options.dataSources instanceof DataSources ? options.dataSources : undefined,
  );
  const modules = await HandlerModules.open({ dir: config.handlersDir, builtIns: kinds.handlers, logger });
  const runtime = await createRuntime(config, {
    handlers: modules.handlers,
    logger,
    database: options.database,
    fetch: options.fetch,
    dataSources: options.dataSources ?? kinds.dataSources,
    upstreams: kinds.upstreams,
  });
  const { database, store, registry, status } = runtime;
  followHandlerModules(modules, registry);
  const ownsDatabase = !options.database;
  const access = createAccessRuntime({
    config,
    database,
    registry,
    caller: runtime.caller,
    logger,
    audit: runtime.audit,
    auditStore: runtime.auditStore,
    verifierOptions: options.oauthVerifier,
    metrics: runtime.metrics,
  });
  // The database is migrated by now; the entries queued while seeding are written at the first flush.
  runtime.audit.start();
  // 2025-era MCP sessions live in mcp_sessions: any process on this database accepts their ids.
  const sharedSessions = new SharedSessions(new McpSessionStore(database.db), { idleMs: config.mcpSessionIdleMs, logger });
  const listenerDeps: ListenerAppDeps = {
    sharedSessions,
    upstreams: runtime.upstreams,
    config,
    database,
    registry,
    caller: access.caller,
    writes: runtime.writes,
    history: runtime.history,
    serverWrites: runtime.serverWrites,
    registryFiles: runtime.registryFiles,
    metrics: runtime.metrics,
    access: access.access,
    keys: access.keys,
    audit: { store: access.auditStore, log: access.audit },
    dataSources: { catalog: runtime.dataSourceCatalog, writes: runtime.dataSourceWrites },
    status,
    logger,
    version: VERSION,
    handlers: () => modules.known(),
    listeningPort: (serverId) => servers.listeners.get(serverId)?.port,
    serverChanges: (listener) => servers.onReconciled(listener),
    ui: config.ui ? { sessions: access.uiSessions, assets: uiAssets(), onListeners: config.gatewayPort === undefined } : undefined,
  };
  const servers = new ServerManager({ config, store, registry, status, logger, createApp: (serverId) => createListenerApp(listenerDeps, serverId) });
  // A server written over REST answers once this process serves the change (its listener, its gateway path) —
  // waiting at most 2 s: stopping the listener that carries this very request waits for the request to end.
  runtime.serverWrites.afterWrite = async (ids) => {
    let timer: NodeJS.Timeout | undefined;
    const capped = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 2000);
    });
    await Promise.race([servers.reconcile(ids).catch(() => {}), capped]).finally(() => clearTimeout(timer));
  };
  const feed = createChangeFeed(
    config,
    runtime,
    logger,
    (ids) => servers.reconcile(ids),
    () => access.keyRing.reload(),
    (ids) => sharedSessions.ended(ids),
  );
  let sql: SqlPort | undefined;
  let gateway: (Gateway & { root: GatewayRoot }) | undefined;
  try {
    await feed.init();
    await access.start();
    logger.info('access', { policy: access.decision.policy, why: access.decision.reason, keys: access.keyRing.size });
    const rows = await store.listServers();
    checkSelection(config, rows);
    for (const wanted of config.servers ?? []) {
      if (rows.find((row) => row.id === wanted.id)?.enabled === false) {
        logger.warn('selected server is disabled: it starts when its row is enabled', { server: wanted.id });
      }
    }
    const releaseSchemaChecks = registry.holdSchemaChecks();
    try {
      await servers.reconcile('all', true);
      if (config.gatewayPort !== undefined) gateway = await openGateway(config, config.gatewayPort, listenerDeps, runtime, servers, logger);
    } finally {
      releaseSchemaChecks();
    }
    await feed.start();
    // Connections to upstream MCP servers start now; their tools arrive as they connect.
    await runtime.upstreams?.registry.reload();

    if (!config.adminToken && access.decision.policy === 'local-open') {
      logger.warn('TOOLPORT_ADMIN_TOKEN is unset: registry writes (POST/PUT/PATCH/DELETE /tools) are open to local callers on this machine');
    }
    if (database.pglite && options.sqlPort !== false) {
      sql = await startSqlPort(database.pglite, {
        port: config.sqlPort,
        dataDir: config.dataDir,
        password: config.sqlPassword,
        logger,
        // An edit over the SQL port (psql) goes live at once, not at the next poll.
        afterStatement: () => void feed.trigger(),
      });
      if (sql) database.lock?.update({ sqlHost: '127.0.0.1', sqlPort: sql.port, sqlPasswordFile: sql.passwordFile });
      database.lock?.advertise(options.runningDir);
    }
    // Where `toolport export` and `apply` reach this process while it holds the data dir (its transactions, at once live).
    const apiUrl = gateway?.url ?? [...servers.listeners.values()][0]?.url;
    if (apiUrl) database.lock?.update({ apiUrl });
  } catch (error) {
    modules.close();
    await feed.stop().catch(() => {});
    await gateway?.close(0).catch(() => {});
    await servers.stopAll(0).catch(() => {});
    await sharedSessions.close();
    await access.stop().catch(() => {});
    await runtime.audit.stop().catch(() => {});
    await sql?.stop().catch(() => {});
    await runtime.pool.close().catch(() => {});
    await kinds.close().catch(() => {});
    if (ownsDatabase) await database.close().catch(() => {});
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    runtime,
    feed,
    access,
    listeners: servers.listeners,
    servers,
    gateway,
    sqlPort: sql?.port,
    stop() {
      stopping ??= (async () => {
        modules.close();
        await feed.stop();
        await Promise.all([gateway?.close(config.shutdownTimeoutMs), servers.stopAll(config.shutdownTimeoutMs)]);
        await sharedSessions.close();
        await access.stop();
        // After the listeners: the calls and writes they finished are in the audit queue, flushed here.
        await runtime.audit.stop();
        await sql?.stop();
        await runtime.pool.close();
        await kinds.close();
        if (ownsDatabase) await database.close();
      })();
      return stopping;
    },
  };
}

/** The gateway listener: every served server under /<id>/…, and the composed /mcp with the management tools. */
async function openGateway(
  config: Config,
  port: number,
  listenerDeps: ListenerAppDeps,
  runtime: Runtime,
  servers: ServerManager,
  logger: Logger,
): Promise<Gateway & { root: GatewayRoot }> {
  let url: string | undefined;
  const root = createGatewayRoot({
    listenerDeps,
    plainCaller: runtime.caller,
    config,
    servers,
    gatewayUrl: () => url,
    databaseKind: runtime.database.kind,
  });
  try {
    const gateway = await startGateway({
      registry: runtime.registry,
      serverApp: (serverId) => createListenerApp(listenerDeps, serverId, `/${serverId}`),
      root: root.app,
      host: config.host,
      port,
      logger,
    });
    url = gateway.url;
    logger.info('gateway listening', {
      url: gateway.url,
      servers: runtime.registry.serverIds().sort(),
      composed: [...root.catalog.composedServers()],
      ...(config.ui ? { ui: `${gateway.url}/ui` } : {}),
    });
    return Object.assign(gateway, { root });
  } catch (error) {
    if (error instanceof PortInUseError) {
      throw new Error(
        `Cannot start the gateway: port ${port} on ${config.host} is already in use. Stop whatever holds it, or set TOOLPORT_GATEWAY_PORT to another port.`,
      );
    }
    throw error;
  }
}
