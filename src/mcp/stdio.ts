import type { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { Config } from '../config.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { DataDirLockedError } from '../db/data-dir-lock.ts';
import { handlers } from '../handlers/index.ts';
import { createLogger } from '../logger.ts';
import { createRuntime, prepareDatabase } from '../runtime.ts';
import { VERSION } from '../toolport.ts';
import { onToolsChanged } from './events.ts';
import { createMcpServer } from './server.ts';

/**
 * `toolport mcp --server finance`: one server's tools over stdio, for
 * desktop clients that spawn a process. Same database, registry and callTool
 * as the HTTP listeners; stdout carries only MCP (the logger writes to stderr).
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
  const logger = createLogger(config.logLevel);
  const database = await prepareDatabase(config, handlers, logger, undefined, () => openWithLockWait(config));
  let stopFeed = () => {};
  let stopChangeFeed = async () => {};
  let connection: { close(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (why: string) =>
    (stopping ??= (async () => {
      logger.info('mcp stdio stopping', { server: serverId, why });
      stopFeed();
      await stopChangeFeed().catch(() => {});
      await connection?.close().catch(() => {});
      await database.close().catch(() => {});
    })());

  try {
    // Live like the listeners: SQL edits and other processes' writes reach this client too.
    const { store, registry, providers, feed } = await createRuntime(config, database, handlers, logger, async (ids) => {
      if (ids === 'all' || ids.includes(serverId)) await registry.loadServer(serverId);
    });
    stopChangeFeed = () => feed.stop();
    const snapshot = await registry.loadServer(serverId);
    if (!snapshot) {
      const known = (await store.listServers()).map((row) => row.id).join(', ') || '(none)';
      throw new Error(`No server "${serverId}" in the servers table. Known: ${known}`);
    }
    const deps = { registry, logger, version: VERSION, callTimeoutMs: config.callTimeoutMs, providers };

    // serveStdio builds one instance per connection (plus a discarded probe
    // instance when a client falls back from server/discover to initialize);
    // list_changed goes to whichever are open. On a 2026-07-28 connection the
    // SDK turns the instance's notification into listen-stream events.
    const instances = new Set<Server>();
    const factory = () => {
      const server = createMcpServer(deps, serverId);
      instances.add(server);
      server.onclose = () => instances.delete(server);
      return server;
    };
    stopFeed = onToolsChanged(registry, serverId, () => {
      for (const server of instances) server.sendToolListChanged().catch(() => {});
    });
    await feed.start();
    connection = serveStdio(factory, { onerror: (error) => logger.debug('mcp stdio error', { server: serverId, error: error.message }) });
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
