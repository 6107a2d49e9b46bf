import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { runCli } from '../support/process.ts';
import { type ServeProcess, startServeProcess } from '../support/serve-process.ts';
import { within } from './within.ts';

if (!TEST_DATABASE_URL) console.warn('test/live/rate-limit-processes: skipped — set TEST_DATABASE_URL to a PostgreSQL server to run it');

/**
 * One API key with `--rate 100/min` (made by `toolport keys create`, a real
 * CLI process), used against two real Toolport processes on one PostgreSQL
 * database at once, by clients calling as fast as they can: together the
 * two admit about 100 calls (the bucket, plus what refills meanwhile), and
 * every other call is a 429 with Retry-After. The limiter itself is tested
 * in rate-limit-replicas.test.ts; this is the whole path: HTTP, the key,
 * the guarded call, the shared bucket rows.
 */

/** Clients call for at least MIN_MS, and on until both processes together have refused REFUSALS calls (at most MAX_MS: 6 s refill 10 of 100/min, so the bound below still holds). */
const MIN_MS = 3000;
const MAX_MS = 6000;
const REFUSALS = 40;
const CLIENTS_PER_PROCESS = 8;

interface Tally {
  admitted: number;
  limited: number;
  other: string[];
  retryAfter: Set<string>;
}

const newTally = (): Tally => ({ admitted: 0, limited: 0, other: [], retryAfter: new Set() });

/** Calls `url` from CLIENTS_PER_PROCESS concurrent loops until `done()`, counting into `tally`. */
async function hammer(url: string, key: string, tally: Tally, done: () => boolean): Promise<void> {
  const body = JSON.stringify({ name: 'get_stock_price', arguments: { symbol: 'AAPL' } });
  const loop = async () => {
    while (!done()) {
      const response = await fetch(`${url}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body,
      });
      const text = await response.text();
      if (response.status === 200) tally.admitted++;
      else if (response.status === 429 && JSON.parse(text).error?.code === 'rate_limited') {
        tally.limited++;
        tally.retryAfter.add(response.headers.get('retry-after') ?? 'missing');
      } else tally.other.push(`${response.status} ${text.slice(0, 160)}`);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS_PER_PROCESS }, loop));
}

describe.skipIf(!TEST_DATABASE_URL)('one 100/min key across two real Toolport processes on one PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  const processes: ServeProcess[] = [];

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    const env = { DATABASE_URL: url, TOOLPORT_EXPECTED_REPLICAS: '2', TOOLPORT_CHANGE_POLL_MS: '200' };
    // The first migrates and seeds; the second then starts on the ready database.
    processes.push(await startServeProcess(env, ['finance']));
    processes.push(await startServeProcess(env, ['finance']));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(processes.map((serve) => serve.child.kill()));
    await drop?.();
  });

  it('together they admit 100 (+ the refill of a few seconds) within 10 %, the rest 429 with Retry-After', async () => {
    const cli = runCli(['keys', 'create', '--name', 'shared-agent', '--scope', 'finance:call', '--rate', '100/min', '--json'], {
      DATABASE_URL: url,
      TOOLPORT_LOG_LEVEL: 'silent',
    });
    expect(await cli.exited, cli.output()).toBe(0);
    const created = JSON.parse(cli.output()) as { key: string; rateLimit: string };
    expect(created.rateLimit).toBe('100/min');

    // Each process learns the key through its change feed; listing is not rate limited, so this spends nothing.
    for (const serve of processes) {
      await within(
        10_000,
        async () => ((await fetch(`${serve.urls.finance}/tools`, { headers: { authorization: `Bearer ${created.key}` } })).status === 200 ? true : undefined),
        `key known to ${serve.urls.finance}`,
      );
    }

    const started = Date.now();
    const tallies = processes.map(newTally);
    const done = () => {
      const elapsed = Date.now() - started;
      const refused = tallies.reduce((sum, tally) => sum + tally.limited, 0);
      return elapsed >= MAX_MS || (elapsed >= MIN_MS && refused >= REFUSALS);
    };
    await Promise.all(processes.map((serve, i) => hammer(serve.urls.finance!, created.key, tallies[i]!, done)));
    const elapsed = Date.now() - started;
    const [a, b] = tallies as [Tally, Tally];
    const admitted = a.admitted + b.admitted;
    console.info(
      `rate-limit processes: A admitted ${a.admitted} / refused ${a.limited}, B admitted ${b.admitted} / refused ${b.limited}, ` +
        `sum ${admitted} of a 100/min limit in ${elapsed} ms; Retry-After values ${[...new Set([...a.retryAfter, ...b.retryAfter])].join(',')}`,
    );

    expect([...a.other, ...b.other]).toEqual([]);
    // 100 in the bucket plus 5–10 refilled in 3–6 s; nothing far above, nothing far below.
    expect(admitted).toBeGreaterThanOrEqual(90);
    expect(admitted).toBeLessThanOrEqual(110);
    expect(a.admitted).toBeGreaterThan(0);
    expect(b.admitted).toBeGreaterThan(0);
    // They went past the limit, and every refusal says when to come back (whole seconds).
    expect(a.limited + b.limited).toBeGreaterThanOrEqual(REFUSALS);
    for (const value of [...a.retryAfter, ...b.retryAfter]) expect(value).toMatch(/^[1-9][0-9]*$/);
  }, 60_000);
});
