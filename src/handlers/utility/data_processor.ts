import * as v from 'valibot';
import { defineHandler, ToolInputError } from '../define.ts';

/**
 * A small pipeline over JSON records. Operations run in order; sort, filter,
 * deduplicate and group transform the records, aggregate and statistics
 * compute a result from the current records without changing them, so a
 * pipeline can compute several figures and still return the records.
 */

type DataRecord = Record<string, unknown>;

const field = v.pipe(v.string(), v.minLength(1), v.description('Name of a top-level field of the records.'));
const fields = v.union([field, v.pipe(v.array(field), v.minLength(1))]);
const aggregateFn = v.pipe(
  v.picklist(['count', 'sum', 'avg', 'min', 'max']),
  v.description('count: non-null values; sum, avg, min, max: over the numeric values (null and missing are skipped).'),
);

const SortOp = v.strictObject({
  op: v.literal('sort'),
  by: v.pipe(fields, v.description('Field, or fields in priority order, to sort by.')),
  order: v.optional(v.pipe(v.picklist(['asc', 'desc']), v.description('Sort direction (default "asc").')), 'asc'),
});

const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'in'] as const;
const FilterOp = v.strictObject({
  op: v.literal('filter'),
  field,
  operator: v.pipe(
    v.picklist(FILTER_OPERATORS),
    v.description(
      'eq/ne: equal/not equal (a missing field counts as null); gt/gte/lt/lte: compare numbers with a number value, ' +
        'strings (e.g. ISO dates) with a string value; contains: substring of a string field (case-sensitive) or ' +
        'element of an array field; in: field value is one of the values of an array `value`.',
    ),
  ),
  value: v.pipe(v.unknown(), v.description('The value to compare with (an array for "in").')),
});

const DeduplicateOp = v.strictObject({
  op: v.literal('deduplicate'),
  by: v.optional(
    v.pipe(v.array(field), v.minLength(1), v.description('Fields that identify a duplicate; whole records when omitted.')),
  ),
});

const AggregateSpec = v.strictObject({
  field,
  fn: aggregateFn,
  as: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Output field name (default "<fn>_<field>").'))),
});

const GroupOp = v.strictObject({
  op: v.literal('group'),
  by: v.pipe(fields, v.description('Field(s) to group by.')),
  aggregate: v.optional(
    v.pipe(v.array(AggregateSpec), v.description('Aggregates per group; every group always gets "count" (its records).')),
  ),
});

const AggregateOp = v.strictObject({ op: v.literal('aggregate'), field, fn: aggregateFn });

const StatisticsOp = v.strictObject({ op: v.literal('statistics'), field });

const Operation = v.variant('op', [SortOp, FilterOp, DeduplicateOp, GroupOp, AggregateOp, StatisticsOp]);
type Operation = v.InferOutput<typeof Operation>;

const Input = v.object({
  data: v.pipe(
    v.array(v.record(v.string(), v.unknown())),
    v.maxLength(100_000, 'must have at most 100000 records'),
    v.description('The records: an array of JSON objects, e.g. [{"name": "a", "price": 3}].'),
  ),
  operations: v.pipe(
    v.array(Operation),
    v.maxLength(50, 'must have at most 50 operations'),
    v.description('Operations applied in order. sort/filter/deduplicate/group change the records; aggregate/statistics add a result.'),
  ),
});

const Output = v.object({
  records: v.pipe(v.array(v.record(v.string(), v.unknown())), v.description('The records after all operations.')),
  recordCount: v.number(),
  results: v.pipe(
    v.array(v.object({ op: v.picklist(['aggregate', 'statistics']), index: v.number(), field: v.string() })),
    v.description('One entry per aggregate/statistics operation, in order; "index" is its position in operations.'),
  ),
  steps: v.array(v.object({ index: v.number(), op: v.string(), recordsIn: v.number(), recordsOut: v.number(), detail: v.string() })),
  summary: v.string(),
});

export type DataProcessorInput = v.InferOutput<typeof Input>;

// --- values ---------------------------------------------------------------

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** JSON with sorted keys: a stable identity for deduplication and grouping. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as DataRecord)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as DataRecord)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) return canonical(a) === canonical(b);
  return false;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Kahan–Babuška (Neumaier) summation: exact-ish sums of many floats. */
export function preciseSum(values: readonly number[]): number {
  let sum = 0;
  let compensation = 0;
  for (const value of values) {
    const next = sum + value;
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - next + value : value - next + sum;
    sum = next;
  }
  return sum + compensation;
}

// --- checks -----------------------------------------------------------------

function opPath(index: number, key: string): string {
  return `/operations/${index}/${key}`;
}

function requireField(records: readonly DataRecord[], name: string, index: number, key = 'field'): void {
  if (records.length === 0) return;
  if (records.some((record) => Object.hasOwn(record, name))) return;
  const known = [...new Set(records.slice(0, 100).flatMap((record) => Object.keys(record)))].slice(0, 20);
  throw new ToolInputError(
    `field "${name}" does not exist in any record${known.length ? ` (fields: ${known.join(', ')})` : ''}`,
    opPath(index, key),
  );
}

/** The numeric values of a field; null and missing values are skipped, anything else is an error. */
function numbersOf(
  records: readonly DataRecord[],
  name: string,
  index: number,
  key = 'field',
): { values: number[]; missing: number } {
  const values: number[] = [];
  let missing = 0;
  records.forEach((record, position) => {
    const value = record[name];
    if (value === undefined || value === null) missing += 1;
    else if (typeof value === 'number' && Number.isFinite(value)) values.push(value);
    else {
      throw new ToolInputError(
        `field "${name}" is not numeric: record ${position} has ${show(value)} (${typeName(value)}); ` +
          'numeric operations need numbers (null or missing values are skipped)',
        opPath(index, key),
      );
    }
  });
  return { values, missing };
}

// --- operations -------------------------------------------------------------

const collator = new Intl.Collator('en', { numeric: true });
const TYPE_RANK: Record<string, number> = { number: 0, string: 1, boolean: 2, object: 3, array: 3 };

/** Numbers, then strings (natural order: "item2" < "item10"), then booleans, then objects; null and missing always last. */
function compareValues(a: unknown, b: unknown, descending: boolean): number {
  const aEmpty = a === undefined || a === null;
  const bEmpty = b === undefined || b === null;
  if (aEmpty || bEmpty) return aEmpty === bEmpty ? 0 : aEmpty ? 1 : -1;
  const rankA = TYPE_RANK[typeName(a)]!;
  const rankB = TYPE_RANK[typeName(b)]!;
  let result: number;
  if (rankA !== rankB) result = rankA - rankB;
  else if (typeof a === 'number') result = a - (b as number);
  else if (typeof a === 'string') result = collator.compare(a, b as string);
  else if (typeof a === 'boolean') result = Number(a) - Number(b);
  else result = collator.compare(canonical(a), canonical(b));
  return descending ? -result : result;
}

function asList(by: string | string[]): string[] {
  return typeof by === 'string' ? [by] : by;
}

function sortRecords(records: DataRecord[], op: v.InferOutput<typeof SortOp>, index: number): DataRecord[] {
  const keys = asList(op.by);
  for (const key of keys) requireField(records, key, index, 'by');
  const descending = op.order === 'desc';
  // Array.prototype.sort is stable: ties keep their input order.
  return [...records].sort((a, b) => {
    for (const key of keys) {
      const result = compareValues(a[key], b[key], descending);
      if (result !== 0) return result;
    }
    return 0;
  });
}

function filterRecords(records: DataRecord[], op: v.InferOutput<typeof FilterOp>, index: number): DataRecord[] {
  requireField(records, op.field, index);
  const { field: name, operator, value } = op;
  const read = (record: DataRecord) => record[name] ?? null;
  switch (operator) {
    case 'eq':
      return records.filter((record) => same(read(record), value ?? null));
    case 'ne':
      return records.filter((record) => !same(read(record), value ?? null));
    case 'in': {
      if (!Array.isArray(value)) {
        throw new ToolInputError('operator "in" needs an array value, e.g. ["a", "b"]', opPath(index, 'value'));
      }
      return records.filter((record) => value.some((candidate) => same(read(record), candidate)));
    }
    case 'contains':
      return records.filter((record) => {
        const current = read(record);
        if (typeof current === 'string') return typeof value === 'string' && current.includes(value);
        if (Array.isArray(current)) return current.some((element) => same(element, value));
        return false;
      });
    default: {
      if (typeof value !== 'number' && typeof value !== 'string') {
        throw new ToolInputError(
          `operator "${operator}" needs a number or a string value, not ${typeName(value)}`,
          opPath(index, 'value'),
        );
      }
      const kind = typeof value;
      records.forEach((record, position) => {
        const current = read(record);
        if (current !== null && typeof current !== kind) {
          throw new ToolInputError(
            `field "${name}" ${kind === 'number' ? 'is not numeric' : 'is not a string'}: record ${position} has ` +
              `${show(current)} (${typeName(current)}), which cannot be compared with ${show(value)}`,
            opPath(index, 'field'),
          );
        }
      });
      const test: Record<string, (a: number | string, b: number | string) => boolean> = {
        gt: (a, b) => a > b,
        gte: (a, b) => a >= b,
        lt: (a, b) => a < b,
        lte: (a, b) => a <= b,
      };
      const compare = test[operator]!;
      return records.filter((record) => {
        const current = read(record);
        return current !== null && compare(current as number | string, value);
      });
    }
  }
}

function deduplicateRecords(records: DataRecord[], op: v.InferOutput<typeof DeduplicateOp>, index: number): DataRecord[] {
  for (const key of op.by ?? []) requireField(records, key, index, 'by');
  const seen = new Set<string>();
  return records.filter((record) => {
    const identity = op.by ? canonical(op.by.map((key) => record[key] ?? null)) : canonical(record);
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}

/** Checks the field's values (not its existence: a group may lack a field other groups have). */
function aggregate(
  records: readonly DataRecord[],
  name: string,
  fn: v.InferOutput<typeof aggregateFn>,
  index: number,
  key = 'field',
): number | null {
  if (fn === 'count') return records.filter((record) => record[name] !== undefined && record[name] !== null).length;
  const { values } = numbersOf(records, name, index, key);
  if (fn === 'sum') return preciseSum(values);
  if (values.length === 0) return null;
  if (fn === 'avg') return preciseSum(values) / values.length;
  // reduce, not Math.min(...values): spreading 100k arguments overflows the stack.
  return fn === 'min'
    ? values.reduce((least, value) => (value < least ? value : least))
    : values.reduce((most, value) => (value > most ? value : most));
}

function groupRecords(records: DataRecord[], op: v.InferOutput<typeof GroupOp>, index: number): DataRecord[] {
  const keys = asList(op.by);
  for (const key of keys) requireField(records, key, index, 'by');
  const specs = op.aggregate ?? [];
  specs.forEach((spec, position) => requireField(records, spec.field, index, `aggregate/${position}/field`));
  const groups = new Map<string, DataRecord[]>();
  for (const record of records) {
    const identity = canonical(keys.map((key) => record[key] ?? null));
    const members = groups.get(identity);
    if (members) members.push(record);
    else groups.set(identity, [record]);
  }
  return [...groups.values()].map((members) => {
    const row: DataRecord = {};
    for (const key of keys) row[key] = members[0]![key] ?? null;
    row.count = members.length;
    specs.forEach((spec, position) => {
      row[spec.as ?? `${spec.fn}_${spec.field}`] = aggregate(members, spec.field, spec.fn, index, `aggregate/${position}/field`);
    });
    return row;
  });
}

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

/** Descriptive statistics; variance by the two-pass formula for accuracy. */
export function describeNumbers(values: readonly number[], missing = 0): Statistics {
  const count = values.length;
  const sorted = [...values].sort((a, b) => a - b);
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

function describeOp(op: Operation): string {
  switch (op.op) {
    case 'sort':
      return `sort by ${asList(op.by).join(', ')} ${op.order}`;
    case 'filter':
      return `filter ${op.field} ${op.operator} ${show(op.value)}`;
    case 'deduplicate':
      return op.by ? `deduplicate by ${op.by.join(', ')}` : 'deduplicate whole records';
    case 'group':
      return `group by ${asList(op.by).join(', ')}`;
    case 'aggregate':
      return `${op.fn} of ${op.field}`;
    case 'statistics':
      return `statistics of ${op.field}`;
  }
}

export function processData(input: DataProcessorInput) {
  let records: DataRecord[] = input.data;
  const results: DataRecord[] = [];
  const steps: { index: number; op: string; recordsIn: number; recordsOut: number; detail: string }[] = [];

  input.operations.forEach((op, index) => {
    const recordsIn = records.length;
    let detail = describeOp(op);
    switch (op.op) {
      case 'sort':
        records = sortRecords(records, op, index);
        break;
      case 'filter':
        records = filterRecords(records, op, index);
        break;
      case 'deduplicate':
        records = deduplicateRecords(records, op, index);
        break;
      case 'group':
        records = groupRecords(records, op, index);
        break;
      case 'aggregate': {
        requireField(records, op.field, index);
        const value = aggregate(records, op.field, op.fn, index);
        results.push({ op: 'aggregate', index, field: op.field, fn: op.fn, value });
        detail += ` = ${value}`;
        break;
      }
      case 'statistics': {
        requireField(records, op.field, index);
        const { values, missing } = numbersOf(records, op.field, index);
        const stats = describeNumbers(values, missing);
        results.push({ op: 'statistics', index, field: op.field, ...stats });
        detail += `: n=${stats.count}, mean=${stats.mean}`;
        break;
      }
    }
    steps.push({ index, op: op.op, recordsIn, recordsOut: records.length, detail });
  });

  const summary =
    `${input.data.length} record(s) in, ${records.length} out` +
    (steps.length ? `; ${steps.map((step) => `${step.detail} (${step.recordsIn} → ${step.recordsOut})`).join('; ')}` : '; no operations');
  return { records, recordCount: records.length, results, steps, summary };
}

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
  output: Output,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  run(input) {
    return processData(input);
  },
});
