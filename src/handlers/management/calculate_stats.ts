import * as v from 'valibot';
import { defineHandler } from '../define.ts';
import { describeNumbers, quantile } from '../utility/data-processor/statistics.ts';
import { preciseSum } from '../utility/data-processor/values.ts';

/**
 * Descriptive statistics of a list of numbers. Percentiles interpolate
 * linearly between the closest ranks (numpy's default, Excel's
 * PERCENTILE.INC): p = 100 is the maximum, p = 0 the minimum. The figures
 * are data_processor's (describeNumbers: a compensated sum, the two-pass
 * variance); no result is rounded.
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

/** The compensated (Neumaier) sum the data_processor handler uses: exact to the last bit for sums such as 0.1 × 10. */
export const compensatedSum = preciseSum;

/** PERCENTILE.INC of a sorted, non-empty list, `p` in 0–100 (data_processor's quantile takes 0–1). */
export function percentileOf(sorted: readonly number[], p: number): number {
  return quantile(sorted, p / 100)!;
}

export function calculateStats(numbers: readonly number[], percentiles: readonly number[] = DEFAULT_PERCENTILES) {
  const sorted = [...numbers].sort((a, b) => a - b);
  const stats = describeNumbers(numbers, 0, sorted);
  return {
    count: stats.count,
    sum: stats.sum,
    mean: stats.mean!,
    median: stats.median!,
    min: stats.min!,
    max: stats.max!,
    variance: stats.variancePopulation!,
    stdDev: stats.stdevPopulation!,
    sampleStdDev: stats.stdevSample,
    percentiles: Object.fromEntries(percentiles.map((p) => [`p${p}`, percentileOf(sorted, p)])),
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
