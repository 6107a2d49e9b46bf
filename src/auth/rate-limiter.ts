import type { RateLimitStore } from '../db/rate-limit-store.ts';
import { databaseFailureReason } from '../shared/database-reason.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { RateSpec } from './principal.ts';
import type { BucketCheck } from './rate-buckets.ts';

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

interface Bucket {
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

const OK: TakeResult = { ok: true };
const clock = () => performance.now();

export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #logger: Logger;
  readonly #replicas: number;
  readonly #failOpen: boolean;
  readonly #fraction: number;
  readonly #idleMs: number;
  readonly #leaseTimeoutMs: number;
  readonly #probeEveryMs: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #timers: NodeJS.Timeout[] = [];
  #leaseLatencyMs = 5;
  #unavailableSince: number | undefined;
  #nextProbeAt = 0;
  #probing = false;
  #stopped = false;
  #leases = 0;

  constructor(options: RateLimiterOptions) {
    this.#store = options.store;
    this.#logger = options.logger ?? silentLogger;
    this.#replicas = Math.max(1, Math.floor(options.expectedReplicas ?? 1));
    this.#failOpen = (options.whenUnavailable ?? 'local-share') === 'local-share';
    this.#fraction = options.leaseFraction ?? 0.04;
    this.#idleMs = options.idleMs ?? 10_000;
    this.#leaseTimeoutMs = options.leaseTimeoutMs ?? 2000;
    this.#probeEveryMs = options.probeEveryMs ?? 1000;
    const sweep = setInterval(() => this.#sweep(), Math.max(50, this.#idleMs / 2));
    sweep.unref();
    this.#timers.push(sweep);
    const pruneEveryMs = options.pruneEveryMs ?? 600_000;
    if (pruneEveryMs > 0) {
      const prune = setInterval(() => this.#store.prune().catch(() => {}), pruneEveryMs);
      prune.unref();
      this.#timers.push(prune);
    }
  }

  /** Spend one token of `bucketKey` from the local lease. Synchronous, never a database round trip, never waits. */
  take(bucketKey: string, spec: RateSpec): TakeResult {
    const bucket = this.#bucket(bucketKey, spec);
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
      const bucket = this.#bucket(check.key, check.spec);
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
    const deadline = clock() + this.#leaseTimeoutMs;
    while (!result.ok && result.reason === 'leasing' && clock() < deadline) {
      const pending = checks.map((check) => this.#buckets.get(check.key)?.leasing).filter(Boolean);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(1, deadline - clock()))))]);
      clearTimeout(timer);
      result = this.takeAll(checks);
    }
    return result;
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
    await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, this.#leaseTimeoutMs)))]);
    clearTimeout(timer);
    const returns = [...this.#buckets.values()].map((bucket) => ({ key: bucket.key, tokens: bucket.local }));
    this.#buckets.clear();
    await this.#giveBack(returns);
  }

  #bucket(key: string, spec: RateSpec): Bucket {
    let bucket = this.#buckets.get(key);
    if (bucket && bucket.spec.requests === spec.requests && bucket.spec.perMs === spec.perMs) return bucket;
    // A changed limit (a key's rate edited) keeps the lease; the next lease writes the new limit to the row.
    const maxChunk = Math.max(1, Math.floor(spec.requests * this.#fraction));
    const derived = { spec, refillPerMs: spec.requests / spec.perMs, maxChunk, lowWater: Math.floor(maxChunk / 4), fallback: undefined };
    if (bucket) Object.assign(bucket, derived);
    else {
      bucket = { key, ...derived, local: 0, leasing: undefined, leaseStartedAt: 0, lastRemaining: spec.requests, lastLeaseAt: 0, emptyUntil: 0, lastUsed: 0 };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Where a token came from, or why there is none; `consume: false` only looks (and may start a lease). */
  #attempt(bucket: Bucket, consume: boolean): 'lease' | 'fallback' | Refusal {
    const now = clock();
    bucket.lastUsed = now;
    if (this.#stopped) return this.#refusal(bucket, 'stopped', 1000);
    if (bucket.local >= 1) {
      if (consume) bucket.local -= 1;
      if (bucket.local <= bucket.lowWater) this.#prefetch(bucket, now);
      return 'lease';
    }
    if (this.#unavailableSince !== undefined) {
      this.#prefetch(bucket, now);
      return this.#failOpen ? this.#fromFallback(bucket, now, consume) : this.#refusal(bucket, 'unavailable', this.#probeEveryMs);
    }
    if (now < bucket.emptyUntil) return this.#refusal(bucket, 'exhausted', bucket.emptyUntil - now);
    if (!bucket.leasing) this.#lease(bucket, now);
    // The row had no whole token at the last lease: wait for one by its refill rate; else for the lease's remaining round trip.
    const level = Math.min(bucket.spec.requests, bucket.lastRemaining + (now - bucket.lastLeaseAt) * bucket.refillPerMs);
    const tokenWait = level >= 1 ? 0 : (1 - level) / bucket.refillPerMs;
    if (tokenWait > 0) return this.#refusal(bucket, 'exhausted', tokenWait);
    return this.#refusal(bucket, 'leasing', this.#leaseLatencyMs - (now - bucket.leaseStartedAt));
  }

  #refusal(bucket: Bucket, reason: RefusalReason, retryAfterMs: number): Refusal {
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil(retryAfterMs)), reason, bucket: bucket.key, limit: bucket.spec };
  }

  /** The local share of the limit (capacity and refill / expectedReplicas), while the database is unreachable. */
  #fromFallback(bucket: Bucket, now: number, consume: boolean): 'fallback' | Refusal {
    const capacity = Math.max(1, Math.floor(bucket.spec.requests / this.#replicas));
    const rate = bucket.refillPerMs / this.#replicas;
    const share = (bucket.fallback ??= { tokens: capacity, at: now });
    share.tokens = Math.min(capacity, share.tokens + (now - share.at) * rate);
    share.at = now;
    if (share.tokens >= 1) {
      if (consume) share.tokens -= 1;
      return 'fallback';
    }
    return this.#refusal(bucket, 'exhausted', (1 - share.tokens) / rate);
  }

  #prefetch(bucket: Bucket, now: number): void {
    if (bucket.leasing || now < bucket.emptyUntil) return;
    if (this.#unavailableSince !== undefined && (this.#probing || now < this.#nextProbeAt)) return;
    this.#lease(bucket, now);
  }

  #lease(bucket: Bucket, now: number): void {
    if (this.#stopped) return;
    if (this.#unavailableSince !== undefined) {
      this.#probing = true;
      this.#nextProbeAt = now + this.#probeEveryMs;
    }
    bucket.leaseStartedAt = now;
    this.#leases += 1;
    let answered = false;
    // A hung query must not stall the limits: past the timeout the database counts as unreachable; a late answer still adds its tokens.
    const timeout = setTimeout(() => {
      if (!answered) this.#unavailable(new Error(`no answer within ${this.#leaseTimeoutMs} ms`));
    }, this.#leaseTimeoutMs);
    timeout.unref();
    const limit = { capacity: bucket.spec.requests, refillPerMs: bucket.refillPerMs };
    bucket.leasing = this.#store
      .lease(bucket.key, limit, bucket.maxChunk, Math.max(2, this.#replicas))
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
    const now = clock();
    this.#nextProbeAt = now + this.#probeEveryMs;
    if (this.#unavailableSince !== undefined) return;
    this.#unavailableSince = now;
    this.#logger.warn(
      this.#failOpen
        ? 'rate limits: the database does not answer; each process enforces its local share of every limit until it does'
        : 'rate limits: the database does not answer; calls that need a new lease are refused until it does',
      { reason: databaseFailureReason(error), policy: this.#failOpen ? 'local-share' : 'refuse', share: `1/${this.#replicas}` },
    );
  }

  #available(now: number): void {
    if (this.#unavailableSince === undefined) return;
    this.#logger.info('rate limits: the database answers again; limits are shared again', { unavailableMs: Math.round(now - this.#unavailableSince) });
    this.#unavailableSince = undefined;
  }

  /** Idle buckets give their lease back and are forgotten (memory stays bounded by the active ones). */
  #sweep(): void {
    const before = clock() - this.#idleMs;
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
      await this.#store.giveBack(due);
    } catch (error) {
      // Lost tokens only make the limit stricter until the row refills.
      this.#logger.warn('rate limits: could not give unused tokens back', { reason: databaseFailureReason(error), buckets: due.length });
    }
  }
}
