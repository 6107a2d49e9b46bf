import type { ServerRow } from '../drizzle/schema.ts';
import type { Config } from './config.ts';
import type { AppDeps } from './deps.ts';
import { startListener, type Listener } from './listeners.ts';

export interface ListenerFailure {
  serverId: string;
  port: number;
  error: string;
  at: string;
}

/** Which servers this process should serve, on which ports: enabled rows, restricted by TOOLPORT_SERVERS. */
export function desiredServers(config: Config, rows: ServerRow[]): Map<string, number> {
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
export function checkSelection(config: Config, rows: ServerRow[]): void {
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

  constructor(private readonly deps: AppDeps) {}

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
    for (const id of this.deps.listenerFailures.keys()) if (!desired.has(id)) this.deps.listenerFailures.delete(id);
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
      const listener = await startListener(this.deps, id, config.host, port);
      this.listeners.set(id, listener);
      this.deps.listenerFailures.delete(id);
      logger.info('listening', { server: id, url: listener.url, tools: snapshot.tools.size, available: snapshot.available.length });
    } catch (error) {
      registry.dropServer(id);
      if (strict) throw error;
      const message = (error as Error).message;
      this.deps.listenerFailures.set(id, { serverId: id, port, error: message, at: new Date().toISOString() });
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
