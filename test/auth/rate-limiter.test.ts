import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateSpec } from '../../src/auth/principal.ts';
import { bucketsFor } from '../../src/auth/rate-buckets.ts';
import { RateLimiter, type TakeResult } from '../../src/auth/rate-limiter.ts';
import { parseRateSpec } from '../../src/auth/rate-spec.ts';
import { createRateLimitStore, type RateLimitStore } from '../../src/db/rate-limit-store.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Admit calls one after the other until the first refusal (or `max`); returns how many passed and that refusal. */
async function drain(limiter: RateLimiter, key: string, spec: RateSpec, max = 1000): Promise<{ admitted: number; refusal: TakeResult | undefined }> {
  for (let admitted = 0; admitted < max; admitted++) {
    const result = await limiter.admit([{ key, spec }]);
    if (!result.ok) return { admitted, refusal: result };
  }
  return { admitted: max, refusal: undefined };
}

for (const backend of backends) {
  describe(`one process's rate limiter on a shared bucket row (${backend})`, () => {
    let test: TestDatabase;
    let store: RateLimitStore;
    const limiters: RateLimiter[] = [];
    const limiter = (options: Partial<ConstructorParameters<typeof RateLimiter>[0]> = {}) => {
      const made = new RateLimiter({ store, ...options });
      limiters.push(made);
      return made;
    };

    beforeAll(async () => {
      test = await openTestDatabase(backend);
      store = createRateLimitStore(test.database);
    });
    afterAll(async () => {
      await Promise.all(limiters.map((item) => item.stop()));
      await test?.dispose();
    });

    it('a 100/min bucket admits 100 calls, then refuses with a retry of about one refill (600 ms), leasing in chunks', async () => {
      const rates = limiter();
      const spec = parseRateSpec('100/min');
      const { admitted, refusal } = await drain(rates, 'key:hundred', spec);
      expect(admitted).toBeGreaterThanOrEqual(100);
      expect(admitted).toBeLessThanOrEqual(101); // one more may have refilled meanwhile
      expect(refusal).toMatchObject({ ok: false, reason: 'exhausted', bucket: 'key:hundred', limit: spec });
      const retry = (refusal as { retryAfterMs: number }).retryAfterMs;
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(610);
      // Chunks of 4 (4 % of 100), a few more near the empty end: far fewer round trips than calls.
      expect(rates.stats().leases).toBeLessThanOrEqual(40);
      const level = await store.level('key:hundred');
      expect(level!.tokens).toBeLessThan(1.5);
      // Refused again straight away, without another lease.
      const leases = rates.stats().leases;
      expect(rates.take('key:hundred', spec)).toMatchObject({ ok: false, reason: 'exhausted' });
      expect(rates.stats().leases).toBe(leases);
    });

    it('take() is synchronous: it spends the local lease in a plain loop, and says `leasing` (never waits) when it is spent', async () => {
      const rates = limiter();
      const spec = parseRateSpec('600/min'); // leases of 24
      expect((await rates.admit([{ key: 'key:sync', spec }])).ok).toBe(true);
      const results: TakeResult[] = [];
      for (let i = 0; i < 30; i++) results.push(rates.take('key:sync', spec));
      expect(results.some((result) => result instanceof Promise)).toBe(false);
      expect(results.filter((result) => result.ok)).toHaveLength(23);
      const refused = results.find((result) => !result.ok)!;
      expect(refused).toMatchObject({ ok: false, reason: 'leasing', bucket: 'key:sync' });
      expect((refused as { retryAfterMs: number }).retryAfterMs).toBeLessThan(1000);
      // The prefetch started when the lease ran low; once it lands, takes pass again.
      await sleep(100);
      expect(rates.take('key:sync', spec).ok).toBe(true);
    });

    it('a cold bucket: take() says `leasing` and starts the lease; admit() waits for it', async () => {
      const rates = limiter();
      const spec = parseRateSpec('10/s');
      expect(rates.take('key:cold', spec)).toMatchObject({ ok: false, reason: 'leasing' });
      expect((await rates.admit([{ key: 'key:cold', spec }])).ok).toBe(true);
    });

    it('a burst of 50 concurrent calls on a cold 600/min bucket is admitted whole (admit() waits through the chunks)', async () => {
      const rates = limiter();
      const spec = parseRateSpec('600/min');
      const results = await Promise.all(Array.from({ length: 50 }, () => rates.admit([{ key: 'key:burst', spec }])));
      expect(results.filter((result) => result.ok)).toHaveLength(50);
    });

    it('refills over time: a drained 20/s bucket admits about 10 more after 500 ms', async () => {
      const rates = limiter();
      const spec = parseRateSpec('20/s');
      const started = performance.now();
      const first = await drain(rates, 'tool:utility/refill', spec);
      // Leases of 1 here (4 % of 20): a round trip each, so what refilled during the drain is admitted too.
      expect(first.admitted).toBeGreaterThanOrEqual(20);
      expect(first.admitted).toBeLessThanOrEqual(21 + ((performance.now() - started) * 20) / 1000);
      expect((first.refusal as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(60);
      await sleep(500);
      const resumed = performance.now();
      const again = await drain(rates, 'tool:utility/refill', spec);
      expect(again.admitted).toBeGreaterThanOrEqual(8);
      expect(again.admitted).toBeLessThanOrEqual(12 + ((performance.now() - resumed) * 20) / 1000);
    });

    it('stop() gives unused tokens back to the row', async () => {
      const rates = limiter();
      const spec = parseRateSpec('100/min');
      expect((await rates.admit([{ key: 'key:give-back', spec }])).ok).toBe(true);
      expect((await store.level('key:give-back'))!.tokens).toBeLessThan(97); // 4 leased, 1 spent
      expect(rates.stats().localTokens).toBe(3);
      await rates.stop();
      const level = (await store.level('key:give-back'))!.tokens;
      expect(level).toBeGreaterThanOrEqual(98.9);
      expect(level).toBeLessThanOrEqual(100);
      expect(rates.take('key:give-back', spec)).toMatchObject({ ok: false, reason: 'stopped' });
    });

    it('an idle bucket gives its lease back by itself and is forgotten', async () => {
      const rates = limiter({ idleMs: 200 });
      const spec = parseRateSpec('100/min');
      expect((await rates.admit([{ key: 'key:idle', spec }])).ok).toBe(true);
      await sleep(600);
      expect(rates.stats()).toMatchObject({ buckets: 0, localTokens: 0 });
      expect((await store.level('key:idle'))!.tokens).toBeGreaterThanOrEqual(98.9);
    });

    it('key, tool and server limits: a call needs a token of each, a refusal names the strictest and spends none of the others', async () => {
      const rates = limiter();
      const limits = {
        keyId: 'k1',
        keyRate: parseRateSpec('3/min'),
        server: 'finance',
        serverRate: parseRateSpec('100/min'),
        tool: 'quote',
        toolRate: undefined as RateSpec | undefined,
      };
      expect(bucketsFor(limits).map((check) => check.key)).toEqual(['key:k1', 'server:finance']);
      const results: TakeResult[] = [];
      for (let i = 0; i < 5; i++) results.push(await rates.admit(bucketsFor(limits)));
      expect(results.map((result) => result.ok)).toEqual([true, true, true, false, false]);
      expect(results[3]).toMatchObject({ reason: 'exhausted', bucket: 'key:k1' });
      // A tool limit spent for an hour is stricter than the key's 20 s.
      const hourly = { ...limits, toolRate: parseRateSpec('1/hour') };
      expect((await rates.admit([{ key: 'tool:finance/quote', spec: hourly.toolRate }])).ok).toBe(true);
      const strictest = await rates.admit(bucketsFor(hourly));
      expect(strictest).toMatchObject({ ok: false, bucket: 'tool:finance/quote' });
      expect((strictest as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(3_000_000);
      await rates.stop();
      // The server bucket paid for the 3 admitted calls only (the refused ones were refunded locally, then given back).
      const server = (await store.level('server:finance'))!.tokens;
      expect(server).toBeGreaterThanOrEqual(96.9);
      expect(server).toBeLessThanOrEqual(98); // + what refilled (1 per 600 ms) since
    });

    it('a changed limit takes effect at the next lease and the row follows it', async () => {
      const rates = limiter();
      expect((await rates.admit([{ key: 'key:changed', spec: parseRateSpec('100/min') }])).ok).toBe(true);
      await rates.stop();
      const other = limiter();
      expect((await other.admit([{ key: 'key:changed', spec: parseRateSpec('10/min') }])).ok).toBe(true);
      const level = await store.level('key:changed');
      expect(level!.capacity).toBe(10);
      expect(level!.tokens).toBeLessThanOrEqual(9.1);
    });

    it('prune() deletes only rows idle for longer than their period (plus a minute)', async () => {
      await store.lease('key:stale', { capacity: 10, refillPerMs: 10 / 1000 }, 1, 2);
      await store.lease('key:fresh', { capacity: 10, refillPerMs: 10 / 1000 }, 1, 2);
      await test.database.query(`UPDATE rate_limit_buckets SET updated_at = now() - interval '2 minutes' WHERE key = 'key:stale'`);
      expect(await store.prune()).toBeGreaterThanOrEqual(1);
      expect(await store.level('key:stale')).toBeUndefined();
      expect(await store.level('key:fresh')).toBeDefined();
    });

    it('the rate_limit columns of tools and servers accept a limit and refuse bad text by their CHECK', async () => {
      await test.database.query(`INSERT INTO servers (id, name) VALUES ('limited', 'Limited')`);
      await test.database.query(`UPDATE servers SET rate_limit = '600/min' WHERE id = 'limited'`);
      await expect(test.database.query(`UPDATE servers SET rate_limit = 'lots' WHERE id = 'limited'`)).rejects.toThrow(/servers_rate_limit_syntax/);
      const { rows } = await test.database.query(`SELECT rate_limit FROM servers WHERE id = 'limited'`);
      expect(rows).toEqual([{ rate_limit: '600/min' }]);
      const { rows: columns } = await test.database.query(
        `SELECT table_name, column_name FROM information_schema.columns WHERE column_name = 'rate_limit' AND table_name IN ('servers', 'tools') ORDER BY table_name`,
      );
      expect(columns).toEqual([
        { table_name: 'servers', column_name: 'rate_limit' },
        { table_name: 'tools', column_name: 'rate_limit' },
      ]);
    });
  });
}
