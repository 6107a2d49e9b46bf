/**
 * How long postgres.js waits before reconnecting a pooled connection, in
 * seconds (its `backoff` option). Its default, (0.5–1) × min(3^retries / 100,
 * 20) s, grows with every failed attempt: after a few seconds of outage a
 * pooled connection waits 4–20 s before it even tries again, and the health
 * probe or write queued on it waits with it — the database is back, Toolport
 * does not notice for seconds. postgres.js retries a connection only when a
 * query wants it, and Toolport asks at most every 250 ms while the database
 * is unreachable (change-feed RECOVERY_PROBE_MS), so a short cap costs
 * nothing and lets writes resume within half a second of its return.
 */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.025 * 2 ** retries, 0.25) * (0.5 + Math.random() / 2);
}
