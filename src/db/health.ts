import type { Logger } from '../shared/logger.ts';

/**
 * Whether the database answered the last time we asked (the change feed asks
 * every poll, and every RECOVERY_PROBE_MS while it does not answer; /health
 * and /ready ask too; a failed write says no). Registry writes fail fast while
 * it does not; calls go on from the in-memory snapshots.
 */
export class DatabaseHealth {
  ok = true;
  error: string | undefined;
  since = Date.now();

  constructor(private readonly logger: Logger) {}

  report(ok: boolean, error?: string): void {
    if (ok === this.ok) {
      if (!ok) this.error = error;
      return;
    }
    const now = Date.now();
    const downMs = now - this.since;
    this.ok = ok;
    this.error = ok ? undefined : error;
    this.since = now;
    if (ok) this.logger.info('database reachable again: registry writes accepted', { unreachableForMs: downMs });
    else this.logger.error('database unreachable: serving calls from memory, refusing registry writes', { error });
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/** A driver error that means "the database is not reachable", not "the query is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
