import type { RateLimitStore } from '../db/rate-limit-store.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { RateSpec } from './principal.ts';
import type { BucketCheck } from './rate-buckets.ts';
import { type Bucket, clock, type LeaseSettings, RateLeases } from './rate-leases.ts';

/**
 * Rate limits that hold across replicas without a database round trip per
 * call. Each process spends tokens from a local lease per bucket, taken from
 * the shared row (rate_limit_buckets) in chunks of at most `leaseFraction` of
 * the limit by one INSERT … ON CONFLICT DO UPDATE … RETURNING, refilled in
 * the background when it runs low, given back on stop() and after a bucket
 * idles. Tokens are conserved by the row, so replicas together never admit
 * more than the limit; what they can lose is what sits unused in another
 * process's lease: at most 1.25 × leaseFraction of the limit per process (5 %
 * by default, 10 % for two replicas), and only until that process uses it or
 * idles.
 *
 * While the database does not answer, each process enforces its local share
 * of every limit (capacity / expectedReplicas, `whenUnavailable:
 * 'local-share'`, the default: a database outage must not become a tool
 * outage, and N replicas together still hold about the limit) or refuses
 * every call that needs a new lease (`'refuse'`). Both are logged once per
 * outage, and once when the database answers again.
 */

export type RefusalReason = 'exhausted' | 'leasing' | 'unavailable' | 'stopped';

export type TakeResult =
  | { ok: true }
  | {
      ok: false;
      /** When a retry may succeed (Retry-After), estimated from the refill rate and the lease round trip. */
      retryAfterMs: number;
      /** `exhausted`: the limit is spent; `leasing`: this process is fetching tokens (admit() waits for it); `unavailable`: no database and whenUnavailable 'refuse'; `stopped`. */
      reason: RefusalReason;
      /** The strictest bucket that refused, and its limit (for the error message). */
      bucket: string;
      limit: RateSpec;
    };

export type Refusal = Extract<TakeResult, { ok: false }>;

export interface RateLimiterOptions {
  store: RateLimitStore;
  logger?: Logger;
  /** Processes expected to share the limits: each one's share while the database is down, and the fair part of a low bucket. Default 1. */
  expectedReplicas?: number;
  whenUnavailable?: 'local-share' | 'refuse';
  /** Largest lease, as a fraction of the limit's request count. Default 0.04. */
  leaseFraction?: number;
  /** A bucket unused this long gives its lease back and is forgotten. Default 10 s. */
  idleMs?: number;
  /** A lease without an answer this long counts as the database being unreachable. Default 2 s. */
  leaseTimeoutMs?: number;
  /** While unreachable, one probe lease at most this often. Default 1 s. */
  probeEveryMs?: number;
  /** Delete idle rows (full buckets) this often; 0 = never. Default 10 min. */
  pruneEveryMs?: number;
}

const OK: TakeResult = { ok: true };

export class RateLimiter {
  readonly #settings: LeaseSettings;
  readonly #leases: RateLeases;

  constructor(options: RateLimiterOptions) {
    this.#settings = {
      store: options.store,
      logger: options.logger ?? silentLogger,
      replicas: Math.max(1, Math.floor(options.expectedReplicas ?? 1)),
      failOpen: (options.whenUnavailable ?? 'local-share') === 'local-share',
      fraction: options.leaseFraction ?? 0.04,
      idleMs: options.idleMs ?? 10_000,
      leaseTimeoutMs: options.leaseTimeoutMs ?? 2000,
      probeEveryMs: options.probeEveryMs ?? 1000,
      pruneEveryMs: options.pruneEveryMs ?? 600_000,
    };
    this.#leases = new RateLeases(this.#settings);
  }

  /** Spend one token of `bucketKey` from the local lease. Synchronous, never a database round trip, never waits. */
  take(bucketKey: string, spec: RateSpec): TakeResult {
    const bucket = this.#leases.bucket(bucketKey, spec);
    const result = this.#attempt(bucket, true);
    return result === 'lease' || result === 'fallback' ? OK : result;
  }

  /**
   * One token from every bucket, or none: when one refuses, the tokens
   * already taken from the others go back to their local leases, and the
   * answer is the strictest refusal (the longest retryAfterMs; `leasing`
   * only when every refusal is).
   */
  takeAll(checks: readonly BucketCheck[]): TakeResult {
    const taken: [Bucket, 'lease' | 'fallback'][] = [];
    let refusals: Refusal[] | undefined;
    for (const check of checks) {
      const bucket = this.#leases.bucket(check.key, check.spec);
      if (refusals) {
        const peeked = this.#attempt(bucket, false);
        if (typeof peeked === 'object') refusals.push(peeked);
        continue;
      }
      const result = this.#attempt(bucket, true);
      if (typeof result === 'object') refusals = [result];
      else taken.push([bucket, result]);
    }
    if (!refusals) return OK;
    for (const [bucket, from] of taken) {
      if (from === 'lease') bucket.local += 1;
      else if (bucket.fallback) bucket.fallback.tokens += 1;
    }
    const strictest = refusals.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
    const settled = refusals.find((item) => item.reason !== 'leasing');
    // Waiting for a lease helps only when nothing else refused.
    return strictest.reason === 'leasing' && settled ? { ...strictest, reason: settled.reason } : strictest;
  }

  /**
   * takeAll, but when a refusal is only a lease in flight (a cold bucket, or
   * one that just ran dry) wait for it, at most the lease timeout, and try
   * again: the call path's entry. No round trip while leases last.
   */
  async admit(checks: readonly BucketCheck[]): Promise<TakeResult> {
    let result = this.takeAll(checks);
    // A burst on a cold bucket may need a few leases in a row (each is one chunk): keep waiting until the lease timeout.
    const deadline = clock() + this.#settings.leaseTimeoutMs;
    while (!result.ok && result.reason === 'leasing' && clock() < deadline) {
      const pending = checks.map((check) => this.#leases.find(check.key)?.leasing).filter(Boolean);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(1, deadline - clock()))))]);
      clearTimeout(timer);
      result = this.takeAll(checks);
    }
    return result;
  }

  /** Counters for /health and tests. */
  stats(): { buckets: number; leases: number; localTokens: number; unavailable: boolean } {
    return this.#leases.stats();
  }

  /** Stop leasing, wait for leases in flight (at most the lease timeout), and give every unspent token back in one statement. */
  stop(): Promise<void> {
    return this.#leases.stop();
  }

  /** Where a token came from, or why there is none; `consume: false` only looks (and may start a lease). */
  #attempt(bucket: Bucket, consume: boolean): 'lease' | 'fallback' | Refusal {
    const now = clock();
    bucket.lastUsed = now;
    if (this.#leases.stopped) return this.#refusal(bucket, 'stopped', 1000);
    if (bucket.local >= 1) {
      if (consume) bucket.local -= 1;
      if (bucket.local <= bucket.lowWater) this.#leases.prefetch(bucket, now);
      return 'lease';
    }
    if (this.#leases.unavailable) {
      this.#leases.prefetch(bucket, now);
      return this.#settings.failOpen ? this.#fromFallback(bucket, now, consume) : this.#refusal(bucket, 'unavailable', this.#settings.probeEveryMs);
    }
    if (now < bucket.emptyUntil) return this.#refusal(bucket, 'exhausted', bucket.emptyUntil - now);
    if (!bucket.leasing) this.#leases.lease(bucket, now);
    // The row had no whole token at the last lease: wait for one by its refill rate; else for the lease's remaining round trip.
    const level = Math.min(bucket.spec.requests, bucket.lastRemaining + (now - bucket.lastLeaseAt) * bucket.refillPerMs);
    const tokenWait = level >= 1 ? 0 : (1 - level) / bucket.refillPerMs;
    if (tokenWait > 0) return this.#refusal(bucket, 'exhausted', tokenWait);
    return this.#refusal(bucket, 'leasing', this.#leases.leaseLatencyMs - (now - bucket.leaseStartedAt));
  }

  #refusal(bucket: Bucket, reason: RefusalReason, retryAfterMs: number): Refusal {
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)), reason, bucket: bucket.key, limit: bucket.spec };
  }

  /** The local share of the limit (capacity and refill / expectedReplicas), while the database is unreachable. */
  #fromFallback(bucket: Bucket, now: number, consume: boolean): 'fallback' | Refusal {
    const { replicas } = this.#settings;
    const capacity = Math.max(1, Math.floor(bucket.spec.requests / replicas));
    const rate = bucket.refillPerMs / replicas;
    const share = (bucket.fallback ??= { tokens: capacity, at: now });
    share.tokens = Math.min(capacity, share.tokens + (now - share.at) * rate);
    share.at = now;
    if (share.tokens >= 1) {
      if (consume) share.tokens -= 1;
      return 'fallback';
    }
    return this.#refusal(bucket, 'exhausted', (1 - share.tokens) / rate);
  }
}
