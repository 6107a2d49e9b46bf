import type { Server as SdkServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { onToolsChanged } from '../registry/tool-change-events.ts';
import { createMcpServer, type McpServerDeps } from './server.ts';

/**
 * One catalog over MCP stdio: the same SDK Server, call path and change
 * notifications as /mcp. stdout carries only MCP (the logger writes to stderr).
 */
export function serveCatalogOverStdio(deps: McpServerDeps): { close(): Promise<void> } {
  // serveStdio builds one instance per connection (plus a discarded probe
  // instance when a client falls back from server/discover to initialize);
  // list_changed goes to whichever are open. On a 2026-07-28 connection the
  // SDK turns the instance's notification into listen-stream events.
  const instances = new Set<SdkServer>();
  const factory = () => {
    const sdkServer = createMcpServer(deps);
    instances.add(sdkServer);
    sdkServer.onclose = () => instances.delete(sdkServer);
    return sdkServer;
  };
  const stopFeed = onToolsChanged(deps.catalog, () => {
    for (const sdkServer of instances) sdkServer.sendToolListChanged().catch(() => {});
  });
  const connection = serveStdio(factory, { onerror: (error) => deps.logger.debug('mcp stdio error', { catalog: deps.catalog.label, error: error.message }) });
  return {
    async close() {
      stopFeed();
      await connection.close();
    },
  };
}
