import type { DatabaseHealth } from '../db/health.ts';

export interface ListenerFailure {
  serverId: string;
  port: number;
  error: string;
  at: string;
}

/** What /health shows of this process: read-only. */
export interface StatusView {
  startedAt: number;
  database: { ok: boolean; error: string | undefined };
  listenerFailures: ListenerFailure[];
}

/**
 * The one owner of this process's health: whether the database answers
 * (reported by the change feed, health checks and failed writes) and which
 * servers could not bind their port (reported by the server manager).
 * Everything else gets the read-only view.
 */
export class ProcessStatus {
  readonly startedAt = Date.now();
  private readonly failures = new Map<string, ListenerFailure>();

  constructor(readonly database: DatabaseHealth) {}

  listenerFailed(serverId: string, port: number, error: string): void {
    this.failures.set(serverId, { serverId, port, error, at: new Date().toISOString() });
  }

  listenerOk(serverId: string): void {
    this.failures.delete(serverId);
  }

  /** Drop failures of servers no longer wanted. */
  keepFailures(wanted: (serverId: string) => boolean): void {
    for (const id of this.failures.keys()) if (!wanted(id)) this.failures.delete(id);
  }

  view(): StatusView {
    return {
      startedAt: this.startedAt,
      database: { ok: this.database.ok, error: this.database.error },
      listenerFailures: [...this.failures.values()],
    };
  }
}
