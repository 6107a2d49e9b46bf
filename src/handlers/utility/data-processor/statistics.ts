import { preciseSum } from './values.ts';

/** Linear interpolation between closest ranks (as numpy's default, Excel PERCENTILE.INC). */
export function quantile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * p;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower]!;
  return low + (sorted[upper]! - low) * (position - lower);
}

export interface Statistics {
  count: number;
  missing: number;
  sum: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  variancePopulation: number | null;
  stdevPopulation: number | null;
  varianceSample: number | null;
  stdevSample: number | null;
  p25: number | null;
  p75: number | null;
}

/** Descriptive statistics; variance by the two-pass formula for accuracy. `sorted`: the values in ascending order, when the caller has them. */
export function describeNumbers(values: readonly number[], missing = 0, sorted: readonly number[] = [...values].sort((a, b) => a - b)): Statistics {
  const count = values.length;
  const sum = preciseSum(values);
  const mean = count ? sum / count : null;
  const squares = mean === null ? 0 : preciseSum(values.map((value) => (value - mean) ** 2));
  const variancePopulation = count ? squares / count : null;
  const varianceSample = count > 1 ? squares / (count - 1) : null;
  return {
    count,
    missing,
    sum,
    mean,
    median: quantile(sorted, 0.5),
    min: count ? sorted[0]! : null,
    max: count ? sorted[count - 1]! : null,
    variancePopulation,
    stdevPopulation: variancePopulation === null ? null : Math.sqrt(variancePopulation),
    varianceSample,
    stdevSample: varianceSample === null ? null : Math.sqrt(varianceSample),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
  };
}
