import { type Database, openDatabase } from '../db/client.ts';
import { DatabaseHealth } from '../db/health.ts';
import { migrate } from '../db/migrate.ts';
import { RegistryStore } from '../db/registry-store.ts';
import type { Handler } from '../handlers/define.ts';
import { createHttpKind } from '../handlers/kinds/http/index.ts';
import { ProcessStatus } from '../observability/process-status.ts';
import { createProviders, type Providers } from '../providers/index.ts';
import { createOutboundHttp, type OutboundHttp } from '../providers/outbound/index.ts';
import { createToolCaller, type ToolCaller } from '../registry/call.ts';
import { ChangeFeed } from '../registry/change-feed.ts';
import { Registry } from '../registry/registry.ts';
import { seedIfEmpty } from '../registry/seed.ts';
import { ToolWrites } from '../registry/tool-writes.ts';
import { cpuWorkerCount, WorkerPool } from '../registry/worker-pool.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';

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
  caller: ToolCaller;
  providers: Providers;
  status: ProcessStatus;
  handlers: ReadonlyMap<string, Handler>;
  /** The CPU handlers' worker threads (TOOLPORT_CPU_WORKERS): close it on stop, after the listeners, so the process can exit. */
  pool: WorkerPool;
}

export interface RuntimeOptions {
  handlers: ReadonlyMap<string, Handler>;
  logger: Logger;
  /** An already opened and migrated database (tests); otherwise opened (and migrated) here. */
  database?: Database | undefined;
  open?: () => Promise<Database>;
  fetch?: typeof fetch;
}

/** Open (unless given) → migrate → build the parts → seed if empty. */
export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const { handlers, logger } = options;
  const open = options.open ?? (() => openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const database = options.database ?? (await open());
  try {
    logger.info('database', { using: database.describe });
    if (!options.database) await migrate(database, config.databaseUrl);
    const store = new RegistryStore(database.db);
    const registry = new Registry(store, handlers, logger, config.limits);
    const status = new ProcessStatus(new DatabaseHealth(logger));
    // The registry's current handlers, not the map of the start: handler modules may change them at run time.
    const writes = new ToolWrites({
      store,
      registry,
      get handlers() {
        return registry.handlers;
      },
      health: status.database,
      limits: config.limits,
    });
    const seeded = await seedIfEmpty({ database, store, writes, handlers });
    if (seeded) logger.info('seeded the empty registry', { ...seeded });
    const providers = createProviders(config.providers, database.db, options.fetch ?? fetch, { timeoutMs: Math.max(1000, config.callTimeoutMs - 500) });
    const pool = new WorkerPool({ size: cpuWorkerCount(config.cpuWorkers), logger, handlers: handlers.values() });
    const caller = createToolCaller({ registry, providers, logger, callTimeoutMs: config.callTimeoutMs, pool });
    return {
      database,
      store,
      registry,
      writes,
      caller,
      providers,
      status,
      get handlers() {
        return registry.handlers;
      },
      pool,
    };
  } catch (error) {
    if (!options.database) await database.close().catch(() => {});
    throw error;
  }
}

/**
 * The built-in handlers plus the generic kinds built from configuration: the
 * `http` kind, with its SSRF-safe outbound client (TOOLPORT_HTTP_ALLOW) and
 * the secret reader. Close `outbound` on stop. A map that already has an
 * `http` handler keeps it.
 */
export function withHandlerKinds(config: Config, builtIns: ReadonlyMap<string, Handler>): { handlers: ReadonlyMap<string, Handler>; outbound: OutboundHttp } {
  const outbound = createOutboundHttp({ allow: config.httpAllow });
  if (builtIns.has('http')) return { handlers: builtIns, outbound };
  const http = createHttpKind({ outbound, secret: config.secret, callTimeoutMs: config.callTimeoutMs });
  return { handlers: new Map([...builtIns, [http.name, http]]), outbound };
}

/** The change feed of a runtime; `init()` it before the first snapshot loads, `start()` it after. */
export function createChangeFeed(
  config: Config,
  runtime: Runtime,
  logger: Logger,
  onServersChanged: (serverIds: string[] | 'all') => Promise<void>,
): ChangeFeed {
  return new ChangeFeed(runtime.database, runtime.store, runtime.registry, logger, {
    pollMs: config.changePollMs,
    retentionHours: config.changeRetentionHours,
    onServersChanged,
    onHealth: (ok, error) => runtime.status.database.report(ok, error),
  });
}
