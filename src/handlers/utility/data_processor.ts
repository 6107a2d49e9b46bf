import { defineHandler } from '../define.ts';
import { processData } from './data-processor/pipeline.ts';
import { AdvertisedInput, Input, Output } from './data-processor/schema.ts';

/**
 * The data_processor tool. The pipeline itself lives in ./data-processor/:
 * schema.ts (input, output, operations), values.ts, statistics.ts,
 * operations.ts and pipeline.ts (processData).
 */

export { processData } from './data-processor/pipeline.ts';
export type { DataProcessorInput } from './data-processor/schema.ts';
export { describeNumbers, quantile, type Statistics } from './data-processor/statistics.ts';
export { preciseSum } from './data-processor/values.ts';

export const dataProcessor = defineHandler({
  name: 'data_processor',
  title: 'Process tabular data',
  description:
    'Run an ordered pipeline of operations over an array of JSON records (objects) and return the resulting records ' +
    'plus computed results. Operations (discriminated by "op"): ' +
    'sort {by, order asc|desc} (numbers numerically, strings in natural order, null/missing last); ' +
    'filter {field, operator eq|ne|gt|gte|lt|lte|contains|in, value}; ' +
    'deduplicate {by?: fields} (keeps the first occurrence); ' +
    'group {by, aggregate?: [{field, fn count|sum|avg|min|max, as?}]} (records become one per group with "count"); ' +
    'aggregate {field, fn} and statistics {field} (count, sum, mean, median, min, max, population and sample ' +
    'variance/standard deviation, p25/p75 by linear interpolation) add an entry to "results" without changing the records. ' +
    'Fields are top-level keys. Numeric operations skip null/missing values and reject non-numeric ones; ' +
    'a field that no record has is an error.',
  input: Input,
  advertised: AdvertisedInput,
  output: Output,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  // CPU work proportional to the caller's input (up to the body limit): off the event loop, under a hard deadline.
  runs: 'worker',
  module: import.meta.url,
  run(input) {
    return processData(input);
  },
});
