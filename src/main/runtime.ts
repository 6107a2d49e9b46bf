import { AuditStore } from '../db/audit-store.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { DataSourceStore, SOURCE_HANDLERS } from '../db/data-source-store.ts';
import { DatabaseHealth } from '../db/health.ts';
import { migrate } from '../db/migrate.ts';
import { RegistryStore } from '../db/registry-store.ts';
import { ServerStore } from '../db/server-store.ts';
import { UpstreamStore } from '../db/upstream-store.ts';
import type { Handler } from '../handlers/define.ts';
import { createDatabaseKind } from '../handlers/kinds/database/index.ts';
import { createHttpKind } from '../handlers/kinds/http/index.ts';
import { createMcpProxyKind } from '../handlers/kinds/mcp-proxy/index.ts';
import { createSqlKind } from '../handlers/kinds/sql/index.ts';
import { AuditLog } from '../observability/audit-queue.ts';
import { Metrics } from '../observability/metrics.ts';
import { ProcessStatus } from '../observability/process-status.ts';
import { DataSources } from '../providers/data-sources/index.ts';
import type { DataSourceAccessor, DataSourceSink } from '../providers/data-sources/types.ts';
import { createProviders, type Providers } from '../providers/index.ts';
import { createOutboundHttp, type OutboundHttp } from '../providers/outbound/index.ts';
import { Upstreams } from '../providers/upstreams/index.ts';
import { createToolCaller, type ToolCaller } from '../registry/call.ts';
import { ChangeFeed } from '../registry/change-feed.ts';
import { DataSourceCatalog } from '../registry/data-source-catalog.ts';
import { DataSourceWrites } from '../registry/data-source-writes.ts';
import { Registry } from '../registry/registry.ts';
import { RegistryFiles } from '../registry/registry-files.ts';
import { seedIfEmpty } from '../registry/seed.ts';
import { ServerWrites } from '../registry/server-writes.ts';
import { ToolHistory } from '../registry/tool-history.ts';
import { ToolWrites } from '../registry/tool-writes.ts';
import { UpstreamRegistry } from '../registry/upstream-registry.ts';
import { UpstreamSync } from '../registry/upstream-sync.ts';
import { cpuWorkerCount, WorkerPool } from '../registry/worker-pool.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { VERSION } from './version.ts';

/**
 * What every way of serving tools shares (the HTTP listeners and the stdio
 * MCP command), built once: the database, the registry snapshots, the write
 * service, the call path, the data providers and the process status. The
 * change feed is made separately (createChangeFeed), once whoever reacts to
 * servers rows exists, so nothing is bound late.
 */
export interface Runtime {
  database: Database;
  store: RegistryStore;
  registry: Registry;
  writes: ToolWrites;
  /** Every tool's revisions (GET /tools/:name/revisions, …/diff). */
  history: ToolHistory;
  /** /registry/export and /registry/apply: the registry as a registry file. */
  registryFiles: RegistryFiles;
  /** POST/PATCH/DELETE /servers; main/ sets its afterWrite to the server manager's reconcile. */
  serverWrites: ServerWrites;
  caller: ToolCaller;
  providers: Providers;
  status: ProcessStatus;
  handlers: ReadonlyMap<string, Handler>;
  /** The CPU handlers' worker threads (TOOLPORT_CPU_WORKERS): close it on stop, after the listeners, so the process can exit. */
  pool: WorkerPool;
  /** The `data_sources` rows as this process holds them (GET /data-sources); the change feed keeps it current. */
  dataSourceCatalog: DataSourceCatalog;
  dataSourceWrites: DataSourceWrites;
  /**
   * The audit log queue of this process (calls and registry writes), and the
   * store it writes to (GET /audit reads it). Not started here: whoever owns
   * the runtime starts it after the migration and stops it after the
   * listeners (it flushes last). Unstarted, it queues and writes nothing on
   * its own and holds no timer, so a process that never starts it still exits.
   */
  audit: AuditLog;
  auditStore: AuditStore;
  /** The process's Prometheus metrics (/metrics on every listener); undefined with TOOLPORT_METRICS=0. */
  metrics: Metrics | undefined;
  /** The `upstreams` rows and their connections (GET/POST/PATCH/DELETE /upstreams); the change feed keeps it current. */
  upstreams: { registry: UpstreamRegistry; upstreams: Upstreams } | undefined;
}

export interface RuntimeOptions {
  handlers: ReadonlyMap<string, Handler>;
  logger: Logger;
  /** An already opened and migrated database (tests); otherwise opened (and migrated) here. */
  database?: Database | undefined;
  open?: () => Promise<Database>;
  fetch?: typeof fetch;
  /**
   * Where the loaded data sources go (the pools); `bindOwnDatabase` gives the
   * built-in `samples` source Toolport's own database; `unavailableReason`,
   * when there, is shown by GET /data-sources.
   */
  dataSources?: (DataSourceSink & Partial<Pick<DataSourceAccessor, 'unavailableReason'>> & { bindOwnDatabase?(database: Database): void }) | undefined;
  /** The upstream connections of the `mcp-proxy` kind (withHandlerKinds); none: no /upstreams. */
  upstreams?: Upstreams | undefined;
}

/** Open (unless given) → migrate → build the parts → seed if empty. */
export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const { handlers, logger } = options;
  const open = options.open ?? (() => openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const database = options.database ?? (await open());
  try {
    logger.info('database', { using: database.describe });
    if (database.notice) logger.warn(database.notice);
    if (!options.database) await migrate(database, config.databaseUrl);
    const store = new RegistryStore(database.db, { revisionsKeep: config.revisionsKeep });
    const registry = new Registry(store, handlers, logger, config.limits);
    const status = new ProcessStatus(new DatabaseHealth(logger));
    const auditStore = new AuditStore(database);
    const audit = new AuditLog({ store: auditStore, logger, storeArguments: config.audit.storeArguments, retentionDays: config.audit.retentionDays });
    // The registry's current handlers, not the map of the start: handler modules may change them at run time.
    const writes = new ToolWrites({
      store,
      registry,
      get handlers() {
        return registry.handlers;
      },
      health: status.database,
      limits: config.limits,
      audit,
      strictToolNames: config.strictToolNames,
    });
    const serverWrites = new ServerWrites({ store: new ServerStore(database.db), health: status.database, audit, strictToolNames: config.strictToolNames });
    options.dataSources?.bindOwnDatabase?.(database);
    const dataSourceStore = new DataSourceStore(database.db);
    const dataSourceCatalog = new DataSourceCatalog({
      store: dataSourceStore,
      sink: options.dataSources,
      logger,
      // A source added, changed or removed changes whether its tools can be called.
      onLoaded: () => registry.recheckHandlers(new Set(SOURCE_HANDLERS)),
    });
    // Before the first snapshots load, so sql tools find their sources.
    await dataSourceCatalog.load();
    const dataSourceWrites = new DataSourceWrites({ store: dataSourceStore, catalog: dataSourceCatalog, health: status.database, audit });
    const upstreams = options.upstreams
      ? {
          upstreams: options.upstreams,
          registry: new UpstreamRegistry({
            store: new UpstreamStore(database.db),
            upstreams: options.upstreams,
            sync: new UpstreamSync({ writes, upstreams: options.upstreams, logger }),
            logger,
            health: status.database,
            audit,
          }),
        }
      : undefined;
    const registryFiles = new RegistryFiles({
      store,
      writes,
      get handlers() {
        return registry.handlers;
      },
      limits: config.limits,
      audit,
      strictToolNames: config.strictToolNames,
      // Read when an apply committed: main/ sets the server manager's reconcile on serverWrites after this.
      afterApply: async ({ servers, dataSources, upstreams: upstreamsWritten }) => {
        if (dataSources) await dataSourceCatalog.reload();
        if (upstreamsWritten) await upstreams?.registry.reload();
        if (servers.length) await serverWrites.afterWrite?.(servers);
      },
    });
    const seeded = await seedIfEmpty({ database, store, writes, handlers });
    if (seeded) logger.info('seeded the empty registry', { ...seeded });
    const providers = createProviders(config.providers, database.db, options.fetch ?? fetch, { timeoutMs: Math.max(1000, config.callTimeoutMs - 500) });
    const pool = new WorkerPool({ size: cpuWorkerCount(config.cpuWorkers), logger, handlers: handlers.values() });
    const caller = createToolCaller({ registry, providers, logger, callTimeoutMs: config.callTimeoutMs, pool });
    const metrics = config.metrics ? new Metrics() : undefined;
    metrics?.observe({
      tools: () =>
        registry.serverIds().map((server) => {
          const snapshot = registry.snapshot(server);
          const total = snapshot?.ordered.length ?? 0;
          const available = snapshot?.available.length ?? 0;
          return { server, available, unavailable: total - available };
        }),
      databaseUp: () => status.database.ok,
      cpuPool: () => ({ threads: pool.threads, utilization: pool.utilization, queued: pool.queued }),
      upstreams: () => options.upstreams?.statuses() ?? [],
    });
    return {
      database,
      store,
      registry,
      writes,
      history: new ToolHistory(store.revisionStore()),
      registryFiles,
      serverWrites,
      caller,
      providers,
      status,
      get handlers() {
        return registry.handlers;
      },
      pool,
      dataSourceCatalog,
      dataSourceWrites,
      audit,
      auditStore,
      metrics,
      upstreams,
    };
  } catch (error) {
    if (!options.database) await database.close().catch(() => {});
    throw error;
  }
}

/** The generic kinds a process builds from configuration, and what they hold open. */
export interface HandlerKinds {
  /** The built-in handlers plus `http`, `sql` and `database` (a map that already has one of them keeps it). */
  handlers: ReadonlyMap<string, Handler>;
  outbound: OutboundHttp;
  /** The data sources the `sql` and `database` kinds run on: give it to createRuntime, which feeds it the `data_sources` rows. */
  dataSources: DataSources;
  /** The connections to upstream MCP servers the `mcp-proxy` kind calls: give it to createRuntime. */
  upstreams: Upstreams;
  /** Close the outbound client, and the data sources' pools unless they were given. Call after the listeners stopped. */
  close(): Promise<void>;
}

/**
 * The built-in handlers plus the generic kinds built from configuration: the
 * `http` kind, with its SSRF-safe outbound client (TOOLPORT_HTTP_ALLOW) and
 * the secret reader; the `sql` kind and the database tool pack's `database`
 * kind, on the data sources (one lazily opened pool per source; the built-in
 * `samples` source once createRuntime binds Toolport's own database).
 * `dataSources`: use these instead of new ones (tests), not closed here.
 */
export function withHandlerKinds(config: Config, builtIns: ReadonlyMap<string, Handler>, logger: Logger, dataSources?: DataSources): HandlerKinds {
  const outbound = createOutboundHttp({ allow: config.httpAllow });
  const sources = dataSources ?? new DataSources({ secret: config.secret, logger });
  const handlers = new Map(builtIns);
  const add = (handler: Handler) => {
    if (!handlers.has(handler.name)) handlers.set(handler.name, handler);
  };
  add(createHttpKind({ outbound, secret: config.secret, callTimeoutMs: config.callTimeoutMs }));
  add(createSqlKind({ dataSources: sources, logger, slowQueryMs: config.slowQueryMs, callTimeoutMs: config.callTimeoutMs }));
  add(createDatabaseKind({ dataSources: sources, logger, callTimeoutMs: config.callTimeoutMs }));
  const upstreams = new Upstreams({ secret: config.secret, logger, version: VERSION, allowStdio: config.upstreamStdio });
  add(createMcpProxyKind({ upstreams, callTimeoutMs: config.callTimeoutMs }));
  return {
    handlers,
    outbound,
    dataSources: sources,
    upstreams,
    async close() {
      await Promise.all([outbound.close(), dataSources ? undefined : sources.close(), upstreams.close()]);
    },
  };
}

/** The change feed of a runtime; `init()` it before the first snapshot loads, `start()` it after. */
export function createChangeFeed(
  config: Config,
  runtime: Runtime,
  logger: Logger,
  onServersChanged: (serverIds: string[] | 'all') => Promise<void>,
  onApiKeysChanged?: () => Promise<void>,
  onSessionsEnded?: (ids: string[] | 'all') => Promise<void>,
): ChangeFeed {
  const upstreams = runtime.upstreams;
  return new ChangeFeed(runtime.database, runtime.store, runtime.registry, logger, {
    pollMs: config.changePollMs,
    retentionHours: config.changeRetentionHours,
    onServersChanged,
    onDataSourcesChanged: () => runtime.dataSourceCatalog.reload(),
    onApiKeysChanged,
    onSessionsEnded,
    ...(upstreams ? { onUpstreamsChanged: () => upstreams.registry.reload() } : {}),
    onHealth: (ok, error) => runtime.status.database.report(ok, error),
    onApplied: (rows) => runtime.metrics?.changesAppliedNow(rows.map((row) => row.changedAt)),
  });
}
