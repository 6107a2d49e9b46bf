import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { DatabaseHealth } from './db/health.ts';
import type { ChangeFeed } from './registry/change-feed.ts';
import type { Handler } from './handlers/define.ts';
import type { Logger } from './logger.ts';
import type { Providers } from './providers/index.ts';
import type { CallDeps } from './registry/call.ts';
import type { Registry } from './registry/registry.ts';
import type { RegistryStore } from './registry/store.ts';

/** Everything a listener needs, built once in main.ts and passed in explicitly. */
export interface AppDeps extends CallDeps {
  config: Config;
  database: Database;
  store: RegistryStore;
  registry: Registry;
  handlers: ReadonlyMap<string, Handler>;
  providers: Providers;
  logger: Logger;
  /** ms since epoch, for uptime. */
  startedAt: number;
  health: DatabaseHealth;
  feed: ChangeFeed;
  /** Servers this process should serve but could not bind, by server id (shown on /health). */
  listenerFailures: Map<string, { serverId: string; port: number; error: string; at: string }>;
  version: string;
}
