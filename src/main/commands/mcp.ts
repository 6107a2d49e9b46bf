import { type Database, openDatabase } from '../../db/client.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { handlers } from '../../handlers/index.ts';
import { serveCatalogOverStdio } from '../../mcp/stdio.ts';
import { guardCalls } from '../../registry/call-guard.ts';
import { serverCatalog } from '../../registry/catalog.ts';
import type { Config } from '../../shared/config.ts';
import { createLogger } from '../../shared/logger.ts';
import { guardDriverRejections } from '../driver-guard.ts';
import { followHandlerModules, HandlerModules } from '../handler-modules.ts';
import { createChangeFeed, createRuntime, withHandlerKinds } from '../runtime.ts';
import { VERSION } from '../version.ts';

/**
 * `toolport mcp --server finance`: one server's tools over stdio, for
 * desktop clients that spawn a process. Same runtime (database, registry,
 * call path, change feed) as the HTTP listeners.
 */

/**
 * A client that probes the era first (SDK v2 `versionNegotiation: 'auto'`)
 * spawns a short-lived sibling, then this process: give a sibling that is
 * still exiting a moment to release the embedded database's lock.
 */
const LOCK_WAIT_MS = 3_000;

async function openWithLockWait(config: Config): Promise<Database> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      if (Date.now() >= deadline) {
        throw new Error(
          `${error.message}\nFor MCP while Toolport runs: connect your client to the running listener over HTTP ` +
            `(http://127.0.0.1:<port>/mcp), or run both against one Postgres server (DATABASE_URL).`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function runStdio(config: Config, serverId: string): Promise<void> {
  const logger = createLogger(config.logLevel, undefined, { pretty: config.logPretty });
  guardDriverRejections(logger);
  const kinds = withHandlerKinds(config, handlers, logger);
  const modules = await HandlerModules.open({ dir: config.handlersDir, builtIns: kinds.handlers, logger });
  const runtime = await createRuntime(config, { handlers: modules.handlers, logger, open: () => openWithLockWait(config), dataSources: kinds.dataSources });
  const { database, registry, store } = runtime;
  followHandlerModules(modules, registry);
  // Live like the listeners: SQL edits and other processes' writes reach this client too.
  const feed = createChangeFeed(config, runtime, logger, async (ids) => {
    if (ids === 'all' || ids.includes(serverId)) await registry.loadServer(serverId);
  });
  // Calls over stdio are the local user's (actor `local`): audited like the listeners' calls; no rate limits.
  const stdioCaller = guardCalls(runtime.caller, { registry, limiter: undefined, audit: runtime.audit, metrics: runtime.metrics });
  let connection: { close(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string) =>
    (stopping ??= (async () => {
      logger.info('mcp stdio stopping', { server: serverId, why });
      modules.close();
      await feed.stop().catch(() => {});
      await connection?.close().catch(() => {});
      await runtime.pool.close().catch(() => {});
      await kinds.close().catch(() => {});
      // After the connection: its calls are queued; flushed before the database closes.
      await runtime.audit.stop().catch(() => {});
      await database.close().catch(() => {});
    })());

  try {
    await feed.init();
    runtime.audit.start();
    const snapshot = await registry.loadServer(serverId);
    if (!snapshot) {
      const known = (await store.listServers()).map((row) => row.id).join(', ') || '(none)';
      throw new Error(`No server "${serverId}" in the servers table. Known: ${known}`);
    }
    await feed.start();
    connection = serveCatalogOverStdio({ catalog: serverCatalog(registry, serverId), caller: stdioCaller, logger, version: VERSION });
    logger.info('mcp stdio serving', { server: serverId, database: database.describe, tools: snapshot.available.length });
  } catch (error) {
    await stop('start failed');
    throw error;
  }

  // The client ends the session by closing our stdin; release the database (and its lock) before exiting.
  const exit = (why: string) => stop(why).finally(() => process.exit(0));
  process.stdin.once('end', () => void exit('stdin closed'));
  process.once('SIGINT', () => void exit('SIGINT'));
  process.once('SIGTERM', () => void exit('SIGTERM'));
}
