/**
 * Retention of audit_log: rows older than TOOLPORT_AUDIT_RETENTION_DAYS go,
 * a chunk at a time (each DELETE short, so it neither holds locks nor bloats
 * one transaction), with a pause between chunks for the event loop and for
 * the writers. A sweep stops after maxChunks (or when the log stops); the
 * next sweep goes on.
 */
export interface AuditRetentionStore {
  deleteOlderThan(cutoff: Date, limit: number): Promise<number>;
}

/** `cancelled`: checked between chunks, so stop() never waits for a long sweep. */
export async function deleteExpired(store: AuditRetentionStore, cutoff: Date, chunk: number, cancelled = () => false, maxChunks = 1000): Promise<number> {
  let total = 0;
  for (let round = 0; round < maxChunks && !cancelled(); round++) {
    const deleted = await store.deleteOlderThan(cutoff, chunk);
    total += deleted;
    if (deleted < chunk) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return total;
}
