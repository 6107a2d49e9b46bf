import type { RateLimitStore } from '../db/rate-limit-store.ts';
import { databaseFailureReason } from '../shared/database-reason.ts';
import type { Logger } from '../shared/logger.ts';
import type { RateSpec } from './principal.ts';

/**
 * The lease bookkeeping behind RateLimiter (rate-limiter.ts describes the
 * scheme): the buckets this process holds tokens of, the leases that fetch
 * them from the shared row, whether the database answers, and giving unspent
 * tokens back (after a bucket idles, and on stop()).
 */

export interface Bucket {
  key: string;
  spec: RateSpec;
  refillPerMs: number;
  maxChunk: number;
  /** Prefetch when the local lease falls to this. */
  lowWater: number;
  /** Whole tokens leased to this process and not spent. */
  local: number;
  leasing: Promise<void> | undefined;
  leaseStartedAt: number;
  /** The row's level after this process's last lease, and when. */
  lastRemaining: number;
  lastLeaseAt: number;
  /** The row had less than a token: no new lease before this. */
  emptyUntil: number;
  lastUsed: number;
  /** The local share while the database is unreachable. */
  fallback: { tokens: number; at: number } | undefined;
}

/** RateLimiterOptions with every default applied. */
export interface LeaseSettings {
  store: RateLimitStore;
  logger: Logger;
  replicas: number;
  /** whenUnavailable 'local-share'. */
  failOpen: boolean;
  fraction: number;
  idleMs: number;
  leaseTimeoutMs: number;
  probeEveryMs: number;
  pruneEveryMs: number;
}

export const clock = () => performance.now();

export class RateLeases {
  readonly #settings: LeaseSettings;
  readonly #buckets = new Map<string, Bucket>();
  readonly #timers: NodeJS.Timeout[] = [];
  #leaseLatencyMs = 5;
  #unavailableSince: number | undefined;
  #nextProbeAt = 0;
  #probing = false;
  #stopped = false;
  #leases = 0;

  constructor(settings: LeaseSettings) {
    this.#settings = settings;
    const sweep = setInterval(() => this.#sweep(), Math.max(50, settings.idleMs / 2));
    sweep.unref();
    this.#timers.push(sweep);
    if (settings.pruneEveryMs > 0) {
      const prune = setInterval(() => settings.store.prune().catch(() => {}), settings.pruneEveryMs);
      prune.unref();
      this.#timers.push(prune);
    }
  }

  /** stop() was called: no more leases. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The database did not answer the last lease (or not in time). */
  get unavailable(): boolean {
    return this.#unavailableSince !== undefined;
  }

  /** A lease's round trip, smoothed. */
  get leaseLatencyMs(): number {
    return this.#leaseLatencyMs;
  }

  /** The bucket of `key` if this process holds it (no new one). */
  find(key: string): Bucket | undefined {
    return this.#buckets.get(key);
  }

  /** Counters for /health and tests. */
  stats(): { buckets: number; leases: number; localTokens: number; unavailable: boolean } {
    let localTokens = 0;
    for (const bucket of this.#buckets.values()) localTokens += bucket.local;
    return { buckets: this.#buckets.size, leases: this.#leases, localTokens, unavailable: this.#unavailableSince !== undefined };
  }

  /** Stop leasing, wait for leases in flight (at most the lease timeout), and give every unspent token back in one statement. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    const pending = [...this.#buckets.values()].map((bucket) => bucket.leasing).filter(Boolean);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, this.#settings.leaseTimeoutMs)))]);
    clearTimeout(timer);
    const returns = [...this.#buckets.values()].map((bucket) => ({ key: bucket.key, tokens: bucket.local }));
    this.#buckets.clear();
    await this.#giveBack(returns);
  }

  /** The bucket of `key` with limit `spec`, made on first use. */
  bucket(key: string, spec: RateSpec): Bucket {
    let bucket = this.#buckets.get(key);
    if (bucket && bucket.spec.requests === spec.requests && bucket.spec.perMs === spec.perMs) return bucket;
    // A changed limit (a key's rate edited) keeps the lease; the next lease writes the new limit to the row.
    const maxChunk = Math.max(1, Math.floor(spec.requests * this.#settings.fraction));
    const derived = { spec, refillPerMs: spec.requests / spec.perMs, maxChunk, lowWater: Math.floor(maxChunk / 4), fallback: undefined };
    if (bucket) Object.assign(bucket, derived);
    else {
      bucket = { key, ...derived, local: 0, leasing: undefined, leaseStartedAt: 0, lastRemaining: spec.requests, lastLeaseAt: 0, emptyUntil: 0, lastUsed: 0 };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** A lease ahead of need, unless one is in flight, the row is empty, or (while unreachable) a probe is not yet due. */
  prefetch(bucket: Bucket, now: number): void {
    if (bucket.leasing || now < bucket.emptyUntil) return;
    if (this.#unavailableSince !== undefined && (this.#probing || now < this.#nextProbeAt)) return;
    this.lease(bucket, now);
  }

  /** Fetch tokens for `bucket` from the shared row (one statement), in the background. */
  lease(bucket: Bucket, now: number): void {
    if (this.#stopped) return;
    const { store, replicas, leaseTimeoutMs, probeEveryMs } = this.#settings;
    if (this.#unavailableSince !== undefined) {
      this.#probing = true;
      this.#nextProbeAt = now + probeEveryMs;
    }
    bucket.leaseStartedAt = now;
    this.#leases += 1;
    let answered = false;
    // A hung query must not stall the limits: past the timeout the database counts as unreachable; a late answer still adds its tokens.
    const timeout = setTimeout(() => {
      if (!answered) this.#unavailable(new Error(`no answer within ${leaseTimeoutMs} ms`));
    }, leaseTimeoutMs);
    timeout.unref();
    const limit = { capacity: bucket.spec.requests, refillPerMs: bucket.refillPerMs };
    bucket.leasing = store
      .lease(bucket.key, limit, bucket.maxChunk, Math.max(2, replicas))
      .then(
        (grant) => {
          const at = clock();
          this.#leaseLatencyMs = this.#leaseLatencyMs * 0.8 + (at - now) * 0.2;
          bucket.local += grant.granted;
          bucket.lastRemaining = grant.remaining;
          bucket.lastLeaseAt = at;
          bucket.emptyUntil = grant.granted >= 1 ? 0 : at + (1 - grant.remaining) / bucket.refillPerMs;
          bucket.fallback = undefined;
          this.#available(at);
        },
        (error: unknown) => this.#unavailable(error),
      )
      .finally(() => {
        answered = true;
        clearTimeout(timeout);
        bucket.leasing = undefined;
        this.#probing = false;
      });
  }

  #unavailable(error: unknown): void {
    const { logger, failOpen, replicas, probeEveryMs } = this.#settings;
    const now = clock();
    this.#nextProbeAt = now + probeEveryMs;
    if (this.#unavailableSince !== undefined) return;
    this.#unavailableSince = now;
    logger.warn(
      failOpen
        ? 'rate limits: the database does not answer; each process enforces its local share of every limit until it does'
        : 'rate limits: the database does not answer; calls that need a new lease are refused until it does',
      { reason: databaseFailureReason(error), policy: failOpen ? 'local-share' : 'refuse', share: `1/${replicas}` },
    );
  }

  #available(now: number): void {
    if (this.#unavailableSince === undefined) return;
    this.#settings.logger.info('rate limits: the database answers again; limits are shared again', { unavailableMs: Math.round(now - this.#unavailableSince) });
    this.#unavailableSince = undefined;
  }

  /** Idle buckets give their lease back and are forgotten (memory stays bounded by the active ones). */
  #sweep(): void {
    const before = clock() - this.#settings.idleMs;
    const returns: { key: string; tokens: number }[] = [];
    for (const bucket of this.#buckets.values()) {
      if (bucket.lastUsed >= before || bucket.leasing) continue;
      this.#buckets.delete(bucket.key);
      returns.push({ key: bucket.key, tokens: bucket.local });
    }
    void this.#giveBack(returns);
  }

  async #giveBack(returns: { key: string; tokens: number }[]): Promise<void> {
    const due = returns.filter((item) => item.tokens > 0);
    if (due.length === 0) return;
    try {
      await this.#settings.store.giveBack(due);
    } catch (error) {
      // Lost tokens only make the limit stricter until the row refills.
      this.#settings.logger.warn('rate limits: could not give unused tokens back', { reason: databaseFailureReason(error), buckets: due.length });
    }
  }
}
