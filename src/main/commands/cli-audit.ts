import { AuditStore } from '../../db/audit-store.ts';
import type { Database } from '../../db/client.ts';
import { AuditLog } from '../../observability/audit-queue.ts';
import type { Config } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';

/**
 * The audit log of one CLI command: its writes (keys, data sources,
 * imports) are recorded like REST's, under the command's actor. Never
 * started (no timers, no retention sweep); `flush()` it before the database
 * closes — a write that could not be recorded is reported, not hidden.
 */
export function cliAudit(database: Database, config: Pick<Config, 'audit'>) {
  const log = new AuditLog({ store: new AuditStore(database), logger: silentLogger, storeArguments: false, retentionDays: config.audit.retentionDays });
  return {
    log,
    async flush(): Promise<void> {
      await log.stop();
      const { dropped, lastFlushError } = log.health();
      if (dropped > 0)
        process.stderr.write(`warning: ${dropped} audit entr${dropped === 1 ? 'y' : 'ies'} could not be written (${lastFlushError ?? 'unknown'})\n`);
    },
  };
}
