import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/client.ts';
import { DatabaseHealth } from './db/health.ts';
import { migrate } from './db/migrate.ts';
import { seedIfEmpty } from './db/seed.ts';
import type { Handler } from './handlers/define.ts';
import type { Logger } from './logger.ts';
import { createProviders, type Providers } from './providers/index.ts';
import { ChangeFeed } from './registry/change-feed.ts';
import { Registry } from './registry/registry.ts';
import { RegistryStore } from './registry/store.ts';

/**
 * What every way of serving tools shares (the HTTP listeners and the stdio
 * MCP command): the database, the registry snapshots kept live by the change
 * feed, the data providers.
 */
export interface Runtime {
  database: Database;
  store: RegistryStore;
  registry: Registry;
  providers: Providers;
  health: DatabaseHealth;
  feed: ChangeFeed;
}

/** Open (unless given), migrate and seed-if-empty. */
export async function prepareDatabase(
  config: Config,
  handlers: ReadonlyMap<string, Handler>,
  logger: Logger,
  given?: Database,
  open: () => Promise<Database> = () => openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }),
): Promise<Database> {
  const database = given ?? (await open());
  try {
    logger.info('database', { using: database.describe });
    if (!given) await migrate(database, config.databaseUrl);
    const seeded = await seedIfEmpty(database, handlers);
    if (seeded) logger.info('seeded the empty registry', { ...seeded });
    return database;
  } catch (error) {
    if (!given) await database.close().catch(() => {});
    throw error;
  }
}

export async function createRuntime(
  config: Config,
  database: Database,
  handlers: ReadonlyMap<string, Handler>,
  logger: Logger,
  onServersChanged: (serverIds: string[] | 'all') => Promise<void>,
  fetchImpl: typeof fetch = fetch,
): Promise<Runtime> {
  const store = new RegistryStore(database.db);
  const registry = new Registry(store, handlers, logger);
  const health = new DatabaseHealth(logger);
  const providers = createProviders(config.providers, database.db, fetchImpl, { timeoutMs: Math.max(1000, config.callTimeoutMs - 500) });
  const feed = new ChangeFeed(database, store, registry, logger, {
    pollMs: config.changePollMs,
    retentionHours: config.changeRetentionHours,
    onServersChanged,
    onHealth: (ok, error) => health.report(ok, error),
  });
  await feed.init();
  return { database, store, registry, providers, health, feed };
}
