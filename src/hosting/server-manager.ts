import type { RegistryStore } from '../db/registry-store.ts';
import type { ServerRow } from '../db/schema.ts';
import type { ProcessStatus } from '../observability/process-status.ts';
import type { Registry } from '../registry/registry.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { ListenerApp } from './listener-app.ts';
import { type Listener, startListener } from './listeners.ts';

export interface ServerManagerDeps {
  config: Pick<Config, 'host' | 'servers' | 'shutdownTimeoutMs' | 'gatewayPort' | 'ui'>;
  store: RegistryStore;
  registry: Registry;
  status: ProcessStatus;
  logger: Logger;
  /** Builds a server's listener app. */
  createApp(serverId: string): ListenerApp;
}

/**
 * Which servers this process should serve, on which ports: enabled rows,
 * restricted by TOOLPORT_SERVERS. `null`: served on the gateway only (a row
 * without a port, or one selected without a port) — only when there is a
 * gateway (`gateway`), otherwise such a server is not served at all.
 */
export function desiredServers(config: Pick<Config, 'servers'>, rows: ServerRow[], gateway = false): Map<string, number | null> {
  const wanted = new Map<string, number | null>();
  // `*` in the selection: every enabled server not named, on its row's port (or the gateway).
  const everyOther = config.servers?.some((item) => item.id === '*') ?? false;
  for (const row of rows) {
    if (!row.enabled) continue;
    const named = config.servers?.find((item) => item.id === row.id);
    const selected = config.servers ? (named ?? (everyOther ? { id: row.id } : undefined)) : row;
    if (!selected) continue;
    const port = (config.servers ? selected.port : undefined) ?? row.port;
    if (port !== null && port !== undefined) wanted.set(row.id, port);
    else if (gateway) wanted.set(row.id, null);
  }
  return wanted;
}

/** Start-up checks that deserve a hard stop: a selected server that does not exist, or has no port and there is no gateway to serve it. */
export function checkSelection(config: Pick<Config, 'servers' | 'gatewayPort'>, rows: ServerRow[]): void {
  for (const wanted of config.servers ?? []) {
    if (wanted.id === '*') continue;
    const row = rows.find((candidate) => candidate.id === wanted.id);
    if (!row) {
      throw new Error(`TOOLPORT_SERVERS names "${wanted.id}", which is not in the servers table. Known: ${rows.map((r) => r.id).join(', ') || '(none)'}`);
    }
    if ((wanted.port ?? row.port) === null && config.gatewayPort === undefined) {
      throw new Error(`Server "${row.id}" has no port: give one as ${row.id}:<port>, or serve it on the gateway (TOOLPORT_GATEWAY_PORT)`);
    }
  }
}

/**
 * Owns this process's listeners and keeps them matching the servers table:
 * a new or enabled row starts a listener, a disabled or deleted one drains
 * and stops it, a changed port moves it. Every served server's snapshot is
 * loaded — gateway-only ones too (no listener of their own: the gateway
 * reaches them through the registry). Reconciles one at a time.
 */
export class ServerManager {
  readonly listeners = new Map<string, Listener>();
  private queue: Promise<void> = Promise.resolve();
  private lastRows: ServerRow[] = [];
  private readonly reconciled = new Set<(ids: readonly string[] | 'all') => void>();

  constructor(private readonly deps: ServerManagerDeps) {}

  /** The servers table as the last reconcile read it (the management tools describe it, disabled rows included). */
  rows(): readonly ServerRow[] {
    return this.lastRows;
  }

  /**
   * Bring listeners in line with the table. `strict` (start-up) throws when
   * a port cannot be bound; later, a failure is logged and shown on /health.
   */
  reconcile(changed: string[] | 'all' = 'all', strict = false): Promise<void> {
    const run = this.queue.then(() => this.reconcileNow(changed, strict)).finally(() => this.announce(changed));
    this.queue = run.catch(() => {});
    return run;
  }

  /** Hear the server ids of every reconcile once it has run (GET /changes' `servers` events); returns the unsubscribe. */
  onReconciled(listener: (ids: readonly string[] | 'all') => void): () => void {
    this.reconciled.add(listener);
    return () => this.reconciled.delete(listener);
  }

  private announce(changed: string[] | 'all'): void {
    for (const listener of this.reconciled) {
      try {
        listener(changed);
      } catch (error) {
        this.deps.logger.warn('a server change listener failed', { error: (error as Error).message });
      }
    }
  }

  private async reconcileNow(changed: string[] | 'all', strict: boolean): Promise<void> {
    const { config, store, registry, logger } = this.deps;
    const gateway = config.gatewayPort !== undefined;
    this.lastRows = await store.listServers();
    const desired = desiredServers(config, this.lastRows, gateway);
    for (const [id, listener] of [...this.listeners]) {
      const wanted = desired.get(id);
      // Port 0 (any free port, as tests use) is satisfied by whatever port the listener got.
      if (typeof wanted === 'number' && (wanted === 0 || wanted === listener.port)) continue;
      this.listeners.delete(id);
      logger.info(desired.has(id) ? (wanted === null ? 'server now on the gateway only' : 'moving server to a new port') : 'stopping server', {
        server: id,
        port: listener.port,
        to: wanted ?? undefined,
      });
      await listener.close(config.shutdownTimeoutMs);
    }
    for (const id of registry.serverIds()) if (!desired.has(id)) registry.dropServer(id);
    this.deps.status.keepFailures((id) => typeof desired.get(id) === 'number');
    for (const [id, port] of desired) {
      const loaded = registry.snapshot(id) !== undefined;
      if (port === null || this.listeners.has(id)) {
        if (port === null) this.deps.status.listenerOk(id);
        if (!loaded || changed === 'all' || changed.includes(id)) await registry.loadServer(id);
        continue;
      }
      await this.start(id, port, strict, gateway);
    }
  }

  private async start(id: string, port: number, strict: boolean, gateway: boolean): Promise<void> {
    const { config, registry, logger } = this.deps;
    const snapshot = await registry.loadServer(id);
    if (!snapshot) return;
    try {
      const listener = await startListener(this.deps.createApp(id), id, config.host, port, logger);
      this.listeners.set(id, listener);
      this.deps.status.listenerOk(id);
      logger.info('listening', {
        server: id,
        url: listener.url,
        tools: snapshot.tools.size,
        available: snapshot.available.length,
        // The admin UI is on each listener when there is no gateway.
        ...(config.ui && config.gatewayPort === undefined ? { ui: `${listener.url}/ui` } : {}),
      });
    } catch (error) {
      // With a gateway the server is still served there: only its own port failed.
      if (!gateway) registry.dropServer(id);
      if (strict) throw error;
      const message = (error as Error).message;
      this.deps.status.listenerFailed(id, port, message);
      logger.error('listener not started', { server: id, port, error: message, ...(gateway ? { stillOn: 'the gateway' } : {}) });
    }
  }

  async stopAll(timeoutMs: number): Promise<void> {
    await this.queue;
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((listener) => listener.close(timeoutMs)));
  }
}
