// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { describe, expect, it } from 'vitest';
import { calculateStats, compensatedSum, percentileOf } from '../../src/handlers/management/calculate_stats.ts';
import { REDACTED, redact } from '../../src/shared/redact.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

describe('calculate_stats, by hand', () => {
  it('[1, 2, 3, 4]: the textbook figures', () => {
    const stats = calculateStats([4, 1, 3, 2], [0, 25, 50, 100]);
    expect(stats).toMatchObject({ count: 4, sum: 10, mean: 2.5, median: 2.5, min: 1, max: 4, variance: 1.25 });
    expect(stats.stdDev).toBeCloseTo(1.118034, 6);
    expect(stats.sampleStdDev).toBeCloseTo(1.290994, 6);
    // PERCENTILE.INC: rank p/100 × (n − 1), interpolated.
    expect(stats.percentiles).toEqual({ p0: 1, p25: 1.75, p50: 2.5, p100: 4 });
  });

  it('one number: no sample deviation; compensated sums; large inputs', () => {
    expect(calculateStats([7])).toMatchObject({ count: 1, median: 7, stdDev: 0, sampleStdDev: null });
    expect(compensatedSum(Array(10).fill(0.1))).toBe(1);
    expect(compensatedSum([1e16, 1, -1e16])).toBe(1);
    const many = Array.from({ length: 100_000 }, (_, i) => i + 1);
    const stats = calculateStats(many, [99]);
    expect(stats.sum).toBe(5_000_050_000);
    expect(stats.median).toBe(50_000.5);
    expect(stats.percentiles.p99).toBeCloseTo(99_000.01, 6);
    expect(percentileOf([5], 90)).toBe(5);
  });
});

describe('redaction of server settings', () => {
  it('keeps ${secret:} references, hides credential-named values and URL passwords', () => {
    expect(
      redact({
        issuer: 'https://id.example.com',
        jwksUrl: 'https://user:hunter2@id.example.com/jwks',
        clientSecret: 'abc',
        token: '${secret:TOKEN}',
        nested: [{ apiKey: 'k' }],
      }),
    ).toEqual({
      issuer: 'https://id.example.com',
      jwksUrl: 'https://user:***@id.example.com/jwks',
      clientSecret: REDACTED,
      token: '${secret:TOKEN}',
      nested: [{ apiKey: REDACTED }],
    });
  });
});

describe.each(backends)('calculate_stats as a tool row, in the worker pool (%s)', (backend) => {
  const t = useToolport(backend);

  it('binds like any built-in handler and refuses bad input naming the path', async () => {
    const created = await fetch(`${t.app.urls.utility}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'stats', description: 'Statistics', handler: 'calculate_stats' }),
    });
    expect(created.status).toBe(201);
    const call = (args: unknown) =>
      fetch(`${t.app.urls.utility}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'stats', arguments: args }),
      });
    const ok = await json(await call({ numbers: [2, 4, 4, 4, 5, 5, 7, 9] }));
    expect(ok.structuredContent).toMatchObject({ count: 8, mean: 5, stdDev: 2, median: 4.5 });
    for (const [args, path] of [
      [{ numbers: [] }, '/arguments/numbers'],
      [{ numbers: [1, 'two'] }, '/arguments/numbers/1'],
      [{ numbers: [1], percentiles: [101] }, '/arguments/percentiles/0'],
    ] as const) {
      const refused = await call(args);
      expect(refused.status).toBe(400);
      expect((await json(refused)).error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });
});
