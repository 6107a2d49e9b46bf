import type { RegistryStore } from '../db/registry-store.ts';
import type { ServerRow } from '../db/schema.ts';
import type { ProcessStatus } from '../observability/process-status.ts';
import type { Registry } from '../registry/registry.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { ListenerApp } from './listener-app.ts';
import { type Listener, startListener } from './listeners.ts';

export interface ServerManagerDeps {
  config: Pick<Config, 'host' | 'servers' | 'shutdownTimeoutMs'>;
  store: RegistryStore;
  registry: Registry;
  status: ProcessStatus;
  logger: Logger;
  /** Builds a server's listener app. */
  createApp(serverId: string): ListenerApp;
}

/** Which servers this process should serve, on which ports: enabled rows, restricted by TOOLPORT_SERVERS. */
export function desiredServers(config: Pick<Config, 'servers'>, rows: ServerRow[]): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const row of rows) {
    if (!row.enabled) continue;
    if (config.servers) {
      const selected = config.servers.find((item) => item.id === row.id);
      const port = selected?.port ?? row.port;
      if (selected && port !== null && port !== undefined) wanted.set(row.id, port);
    } else if (row.port !== null) {
      wanted.set(row.id, row.port);
    }
  }
  return wanted;
}

/** Start-up checks that deserve a hard stop: a selected server that does not exist or has no port. */
export function checkSelection(config: Pick<Config, 'servers'>, rows: ServerRow[]): void {
  for (const wanted of config.servers ?? []) {
    const row = rows.find((candidate) => candidate.id === wanted.id);
    if (!row) {
      throw new Error(`TOOLPORT_SERVERS names "${wanted.id}", which is not in the servers table. Known: ${rows.map((r) => r.id).join(', ') || '(none)'}`);
    }
    if ((wanted.port ?? row.port) === null) throw new Error(`Server "${row.id}" has no port: give one as ${row.id}:<port>`);
  }
}

/**
 * Owns this process's listeners and keeps them matching the servers table:
 * a new or enabled row starts a listener, a disabled or deleted one drains
 * and stops it, a changed port moves it. Reconciles one at a time.
 */
export class ServerManager {
  readonly listeners = new Map<string, Listener>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ServerManagerDeps) {}

  /**
   * Bring listeners in line with the table. `strict` (start-up) throws when
   * a port cannot be bound; later, a failure is logged and shown on /health.
   */
  reconcile(changed: string[] | 'all' = 'all', strict = false): Promise<void> {
    const run = this.queue.then(() => this.reconcileNow(changed, strict));
    this.queue = run.catch(() => {});
    return run;
  }

  private async reconcileNow(changed: string[] | 'all', strict: boolean): Promise<void> {
    const { config, store, registry, logger } = this.deps;
    const desired = desiredServers(config, await store.listServers());
    for (const [id, listener] of [...this.listeners]) {
      const wanted = desired.get(id);
      // Port 0 (any free port, as tests use) is satisfied by whatever port the listener got.
      if (wanted !== undefined && (wanted === 0 || wanted === listener.port)) continue;
      this.listeners.delete(id);
      logger.info(desired.has(id) ? 'moving server to a new port' : 'stopping server', { server: id, port: listener.port, to: desired.get(id) });
      await listener.close(config.shutdownTimeoutMs);
      if (!desired.has(id)) registry.dropServer(id);
    }
    this.deps.status.keepFailures((id) => desired.has(id));
    for (const [id, port] of desired) {
      if (this.listeners.has(id)) {
        if (changed === 'all' || changed.includes(id)) await registry.loadServer(id);
        continue;
      }
      await this.start(id, port, strict);
    }
  }

  private async start(id: string, port: number, strict: boolean): Promise<void> {
    const { config, registry, logger } = this.deps;
    const snapshot = await registry.loadServer(id);
    if (!snapshot) return;
    try {
      const listener = await startListener(this.deps.createApp(id), id, config.host, port, logger);
      this.listeners.set(id, listener);
      this.deps.status.listenerOk(id);
      logger.info('listening', { server: id, url: listener.url, tools: snapshot.tools.size, available: snapshot.available.length });
    } catch (error) {
      registry.dropServer(id);
      if (strict) throw error;
      const message = (error as Error).message;
      this.deps.status.listenerFailed(id, port, message);
      logger.error('listener not started', { server: id, port, error: message });
    }
  }

  async stopAll(timeoutMs: number): Promise<void> {
    await this.queue;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((listener) => listener.close(timeoutMs)));
  }
}
