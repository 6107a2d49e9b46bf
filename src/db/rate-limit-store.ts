import type { Database } from './client.ts';

/**
 * The shared token buckets of `rate_limit_buckets` (migration 0009). Each
 * statement refills the row from the database clock (now() - updated_at, so
 * replicas' clocks never matter) before it changes it. A missing row is a
 * full bucket: the first lease creates it, prune() deletes rows that have
 * been idle for longer than their period.
 */

/** The limit a bucket is leased under: capacity tokens, refilled at refillPerMs per millisecond. */
export interface BucketLimit {
  capacity: number;
  refillPerMs: number;
}

export interface LeaseGrant {
  /** Whole tokens handed to this process (0 when the bucket has less than one, or less than a fair share). */
  granted: number;
  /** Tokens left in the row after the grant (fractional): what the next lease of anyone can get. */
  remaining: number;
}

export interface RateLimitStore {
  /**
   * Take up to `want` tokens in one statement, and at most 1/`share` of what
   * the row holds (at least one): when a bucket runs low, each replica gets a
   * part instead of the first one emptying it.
   */
  lease(key: string, limit: BucketLimit, want: number, share: number): Promise<LeaseGrant>;
  /** Give unused tokens back (capped at each bucket's capacity); a bucket whose row is gone is full already. */
  giveBack(returns: readonly { key: string; tokens: number }[]): Promise<void>;
  /** The bucket's level now (tests, diagnostics); undefined when it has no row (= full). */
  level(key: string): Promise<{ tokens: number; capacity: number } | undefined>;
  /** Delete rows idle for longer than their period plus a margin (they are full again); returns how many. */
  prune(): Promise<number>;
}

/** The row's level now: refilled at its rate since updated_at, never above capacity (clock steps backwards add nothing). */
const REFILLED = `least(b.capacity::float8, b.tokens + greatest(0, extract(epoch from (now() - b.updated_at))::float8 * 1000) * b.refill_per_ms)`;

/** least(want, whole tokens, a fair share of them but at least one) — over the refilled level R. */
const grantOf = (level: string) => `least($4::int::float8, floor(${level}), greatest(1, floor(${level} / $5::int)))`;

const LEASE = `
INSERT INTO rate_limit_buckets AS b (key, capacity, refill_per_ms, tokens, last_granted, updated_at)
VALUES ($1::text, $2::int, $3::float8, $2::int - ${grantOf('$2::int::float8')}, ${grantOf('$2::int::float8')}, now())
ON CONFLICT (key) DO UPDATE SET
  capacity = excluded.capacity,
  refill_per_ms = excluded.refill_per_ms,
  last_granted = ${grantOf(`least(excluded.capacity::float8, ${REFILLED})`)},
  tokens = least(excluded.capacity::float8, ${REFILLED}) - ${grantOf(`least(excluded.capacity::float8, ${REFILLED})`)},
  updated_at = greatest(b.updated_at, now())
RETURNING last_granted AS granted, tokens AS remaining`;

const GIVE_BACK = `
UPDATE rate_limit_buckets AS b SET
  tokens = least(b.capacity::float8, ${REFILLED} + r.tokens),
  updated_at = greatest(b.updated_at, now())
FROM jsonb_to_recordset($1::jsonb) AS r(key text, tokens float8)
WHERE b.key = r.key`;

const LEVEL = `SELECT ${REFILLED} AS tokens, b.capacity FROM rate_limit_buckets AS b WHERE b.key = $1::text`;

/** The margin outlives every process's idle give-back, so a pruned row has no tokens out on lease. */
const PRUNE = `
DELETE FROM rate_limit_buckets
WHERE updated_at < now() - interval '1 minute' - make_interval(secs => capacity / refill_per_ms / 1000)
RETURNING key`;

export function createRateLimitStore(database: Pick<Database, 'query'>): RateLimitStore {
  return {
    async lease(key, limit, want, share) {
      const { rows } = await database.query(LEASE, [key, limit.capacity, limit.refillPerMs, Math.max(0, Math.floor(want)), Math.max(1, Math.floor(share))]);
      const row = rows[0]!;
      return { granted: Number(row.granted), remaining: Number(row.remaining) };
    },
    async giveBack(returns) {
      const merged = new Map<string, number>();
      for (const item of returns) if (item.tokens > 0) merged.set(item.key, (merged.get(item.key) ?? 0) + item.tokens);
      if (merged.size === 0) return;
      await database.query(GIVE_BACK, [JSON.stringify([...merged].map(([key, tokens]) => ({ key, tokens })))]);
    },
    async level(key) {
      const { rows } = await database.query(LEVEL, [key]);
      const row = rows[0];
      return row ? { tokens: Number(row.tokens), capacity: Number(row.capacity) } : undefined;
    },
    async prune() {
      const { rows } = await database.query(PRUNE, []);
      return rows.length;
    },
  };
}
