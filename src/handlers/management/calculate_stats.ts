import * as v from 'valibot';
import { defineHandler } from '../define.ts';

/**
 * Descriptive statistics of a list of numbers. Percentiles interpolate
 * linearly between the closest ranks (numpy's default, Excel's
 * PERCENTILE.INC): p = 100 is the maximum, p = 0 the minimum. The sum is
 * compensated (Neumaier), the variance computed in one pass (Welford); no
 * result is rounded.
 */

export const MAX_NUMBERS = 100_000;
const DEFAULT_PERCENTILES = [25, 50, 75, 90, 95, 99];

const Output = v.object({
  count: v.number(),
  sum: v.number(),
  mean: v.number(),
  median: v.number(),
  min: v.number(),
  max: v.number(),
  variance: v.pipe(v.number(), v.description('Population variance.')),
  stdDev: v.pipe(v.number(), v.description('Population standard deviation.')),
  sampleStdDev: v.pipe(v.nullable(v.number()), v.description('Sample standard deviation (n − 1); null for a single number.')),
  percentiles: v.pipe(v.record(v.string(), v.number()), v.description('By name: "p25", "p99.9" …')),
});

/** Neumaier's compensated sum: exact to the last bit for sums such as 0.1 × 10. */
export function compensatedSum(values: readonly number[]): number {
  let sum = 0;
  let compensation = 0;
  for (const value of values) {
    const next = sum + value;
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
    sum = next;
  }
  return sum + compensation;
}

/** Linear interpolation between closest ranks of a sorted list (PERCENTILE.INC). */
export function percentileOf(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const fraction = rank - low;
  return sorted[low]! + (sorted[high]! - sorted[low]!) * fraction;
}

export function calculateStats(numbers: readonly number[], percentiles: readonly number[] = DEFAULT_PERCENTILES) {
  const sorted = Float64Array.from(numbers).sort();
  const list = Array.from(sorted);
  let mean = 0;
  let m2 = 0;
  numbers.forEach((value, index) => {
    const delta = value - mean;
    mean += delta / (index + 1);
    m2 += delta * (value - mean);
  });
  const count = numbers.length;
  const variance = m2 / count;
  return {
    count,
    sum: compensatedSum(numbers),
    mean,
    median: percentileOf(list, 50),
    min: list[0]!,
    max: list[count - 1]!,
    variance,
    stdDev: Math.sqrt(variance),
    sampleStdDev: count > 1 ? Math.sqrt(m2 / (count - 1)) : null,
    percentiles: Object.fromEntries(percentiles.map((p) => [`p${p}`, percentileOf(list, p)])),
  };
}

export const calculateStatsHandler = defineHandler({
  name: 'calculate_stats',
  title: 'Calculate statistics',
  description:
    'Count, sum, mean, median, min, max, variance and standard deviation (population and sample) and percentiles ' +
    '(linear interpolation, as Excel PERCENTILE.INC) of a list of numbers.',
  input: v.object({
    numbers: v.pipe(
      v.array(v.number(), 'must be an array of numbers'),
      v.minLength(1, 'must hold at least one number'),
      v.maxLength(MAX_NUMBERS, `must hold at most ${MAX_NUMBERS} numbers`),
      v.description(`The numbers (1–${MAX_NUMBERS}).`),
    ),
    percentiles: v.optional(
      v.pipe(
        v.array(v.pipe(v.number(), v.minValue(0), v.maxValue(100))),
        v.maxLength(100),
        v.description('Which percentiles (0–100), default [25, 50, 75, 90, 95, 99].'),
      ),
    ),
  }),
  output: Output,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  // A sort of up to 100,000 numbers from the caller: off the event loop, under a hard deadline.
  runs: 'worker',
  module: import.meta.url,
  run(input) {
    return calculateStats(input.numbers, input.percentiles ?? DEFAULT_PERCENTILES);
  },
});
