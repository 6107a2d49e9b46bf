import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { formatRateSpec, parseRateSpec, RATE_SPEC_PATTERN, rateLimitColumnSchema, rateSpecSchema, tryParseRateSpec } from '../../src/auth/rate-spec.ts';
import { AppError } from '../../src/shared/errors.ts';

describe('rate limit text', () => {
  it.each([
    ['600/min', 600, 60_000],
    ['10/s', 10, 1000],
    ['10/second', 10, 1000],
    ['10/seconds', 10, 1000],
    ['100/minute', 100, 60_000],
    ['100/m', 100, 60_000],
    ['5000/hour', 5000, 3_600_000],
    ['5000/h', 5000, 3_600_000],
    ['1000/day', 1000, 86_400_000],
    ['50/10s', 50, 10_000],
    ['3/15min', 3, 900_000],
    ['  600 / MIN ', 600, 60_000],
    ['999999999/s', 999_999_999, 1000],
  ])('%s → %d per %d ms', (text, requests, perMs) => {
    expect(parseRateSpec(text)).toEqual({ requests, perMs });
  });

  it.each(['', '600', '/min', '0/min', '-1/min', '1.5/s', '600/fortnight', '600/0s', '600/min/s', '1000000000/s', '600 per minute', '600/min;drop', 'abc'])(
    'refuses %j with a bad_request naming the text',
    (text) => {
      expect(tryParseRateSpec(text)).toBeUndefined();
      let error: unknown;
      try {
        parseRateSpec(text, '/keys/rate');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(AppError);
      const app = error as AppError;
      expect(app.code).toBe('bad_request');
      expect(app.message).toContain(JSON.stringify(text));
      expect(app.message).toMatch(/600\/min/);
      expect(app.details).toEqual([{ path: '/keys/rate', message: expect.stringContaining(JSON.stringify(text)) }]);
    },
  );

  it.each([
    [{ requests: 600, perMs: 60_000 }, '600/min'],
    [{ requests: 10, perMs: 1000 }, '10/s'],
    [{ requests: 5000, perMs: 3_600_000 }, '5000/h'],
    [{ requests: 1000, perMs: 86_400_000 }, '1000/day'],
    [{ requests: 50, perMs: 10_000 }, '50/10s'],
    [{ requests: 3, perMs: 900_000 }, '3/15min'],
    [{ requests: 1, perMs: 120_000 }, '1/2min'],
  ])('formats %j as %s, which parses back to it', (spec, text) => {
    expect(formatRateSpec(spec)).toBe(text);
    expect(parseRateSpec(text)).toEqual(spec);
  });

  it('refuses to format a period that is not whole seconds', () => {
    expect(() => formatRateSpec({ requests: 1, perMs: 1500 })).toThrow(/1500 ms/);
  });

  it('the column CHECK pattern accepts exactly the canonical spellings the parser accepts', () => {
    const pattern = new RegExp(RATE_SPEC_PATTERN);
    for (const text of ['600/min', '10/s', '5000/h', '5000/hour', '50/10s', '1000/day']) expect(pattern.test(text)).toBe(true);
    for (const text of [' 600/min', '600 / min', '600/MIN', '0/s']) expect(pattern.test(text)).toBe(false);
  });

  it('valibot schemas: a field parses to a RateSpec, a column to its canonical text, and the issue names the text', () => {
    expect(v.parse(rateSpecSchema, '100/minute')).toEqual({ requests: 100, perMs: 60_000 });
    expect(v.parse(rateLimitColumnSchema, ' 100 / Minute')).toBe('100/min');
    expect(v.parse(rateLimitColumnSchema, null)).toBeNull();
    const result = v.safeParse(v.object({ rate: rateSpecSchema }), { rate: 'lots' });
    expect(result.success).toBe(false);
    expect(result.issues?.[0]?.message).toContain('"lots"');
    expect(result.issues?.[0]?.path?.[0]?.key).toBe('rate');
  });
});
