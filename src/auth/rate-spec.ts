import * as v from 'valibot';
import { AppError } from '../shared/errors.ts';
import type { RateSpec } from './principal.ts';

/**
 * The text form of a rate limit: `<requests>/[<n>]<unit>` — `600/min`,
 * `10/s`, `10/second`, `100/minute`, `5000/hour`, `1000/day`, `50/10s`.
 * Stored in `tools.rate_limit`, `servers.rate_limit` and an API key's rate in
 * the canonical spelling formatRateSpec writes (the columns' CHECK accepts
 * exactly RATE_SPEC_PATTERN, so a psql edit cannot store what this rejects).
 */

const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** The grammar, also the CHECK of the rate_limit columns (migration 0009): at most 999,999,999 requests (an int4) per at most 9,999 units. */
export const RATE_SPEC_PATTERN = '^[1-9][0-9]{0,8}/([1-9][0-9]{0,3})?(s|sec|second|seconds|m|min|minute|minutes|h|hr|hour|hours|d|day|days)$';

const PATTERN = new RegExp(RATE_SPEC_PATTERN);

const EXPECTED =
  'expected <requests>/<unit> such as 600/min, 10/s or 5000/hour (units: s, second, min, minute, h, hour, d, day; an optional count like 50/10s)';

/** `600/min` → { requests: 600, perMs: 60_000 }; surrounding spaces, spaces around `/` and upper case are accepted. */
export function tryParseRateSpec(text: string): RateSpec | undefined {
  const normal = text
    .trim()
    .toLowerCase()
    .replace(/\s*\/\s*/, '/');
  if (!PATTERN.test(normal)) return undefined;
  const [requests, period] = normal.split('/') as [string, string];
  const match = /^(\d*)([a-z]+)$/.exec(period)!;
  return { requests: Number(requests), perMs: Number(match[1] || '1') * UNIT_MS[match[2]!]! };
}

/** Like tryParseRateSpec, or a bad_request naming the text (and `path`, the field it came from, in details). */
export function parseRateSpec(text: string, path = '/rateLimit'): RateSpec {
  const spec = tryParseRateSpec(text);
  if (spec) return spec;
  const message = `rate limit ${JSON.stringify(text)}: ${EXPECTED}`;
  throw new AppError('bad_request', `Invalid ${message}`, { details: [{ path, message }] });
}

const FORMAT_UNITS: [number, string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1000, 's'],
];

/** The canonical text of a spec: the largest unit that divides the period (`600/min`, `10/s`, `5000/h`, `1000/day`, `50/10s`); for s, min and h the same text as rate-text.ts formatRate. */
export function formatRateSpec(spec: RateSpec): string {
  for (const [ms, unit] of FORMAT_UNITS) {
    if (spec.perMs % ms === 0) {
      const count = spec.perMs / ms;
      if (count <= 9999) return `${spec.requests}/${count === 1 ? '' : count}${unit}`;
    }
  }
  throw new AppError(
    'bad_request',
    `rate limit of ${spec.requests} per ${spec.perMs} ms has no text form (the period must be whole seconds, at most 9999 days)`,
  );
}

/** A valibot schema for a rate-limit field: the text in, a RateSpec out (message names the text). */
export const rateSpecSchema = v.pipe(
  v.string(),
  v.check(
    (text) => tryParseRateSpec(text) !== undefined,
    (issue) => `rate limit ${JSON.stringify(issue.input)}: ${EXPECTED}`,
  ),
  v.transform((text) => tryParseRateSpec(text)!),
);

/** A valibot schema for a stored rate-limit column: the text in, the canonical text out (or null for no limit). */
export const rateLimitColumnSchema = v.nullable(v.pipe(rateSpecSchema, v.transform(formatRateSpec)));
