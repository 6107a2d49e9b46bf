import * as v from 'valibot';

/** Valibot schemas of the data_processor tool: its input, output and pipeline operations. */

export type DataRecord = Record<string, unknown>;

/**
 * A JSON object record. v.record() skips own "__proto__", "constructor" and "prototype" keys (its guard against
 * prototype pollution), which would silently drop those fields: keep its checks and issues, but output every own
 * enumerable key. Object.fromEntries defines properties (never sets a prototype), so this is pollution-safe too.
 */
function recordSchema() {
  const schema = v.record(v.string(), v.unknown());
  const check = schema['~run'];
  return Object.assign(schema, {
    '~run'(dataset, config) {
      const input = dataset.value;
      const result = check.call(schema, dataset, config);
      if (result.typed) result.value = Object.fromEntries(Object.entries(input as object));
      return result;
    },
  } satisfies Pick<typeof schema, '~run'>);
}

const field = v.pipe(v.string(), v.minLength(1), v.description('Name of a top-level field of the records.'));
const fields = v.union([field, v.pipe(v.array(field), v.minLength(1))]);
const AGGREGATE_FN = 'count: non-null values; sum, avg, min, max: over the numeric values (null and missing are skipped).';
export const aggregateFn = v.pipe(v.picklist(['count', 'sum', 'avg', 'min', 'max']), v.description(AGGREGATE_FN));

export const SortOp = v.strictObject({
  op: v.literal('sort'),
  by: v.pipe(fields, v.description('Field, or fields in priority order, to sort by.')),
  order: v.optional(v.pipe(v.picklist(['asc', 'desc']), v.description('Sort direction (default "asc").')), 'asc'),
});

const FILTER_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains', 'in'] as const;
const FILTER_OPERATOR =
  'eq/ne: equal/not equal (a missing field counts as null); gt/gte/lt/lte: compare numbers with a number value, ' +
  'strings (e.g. ISO dates) with a string value; contains: substring of a string field (case-sensitive) or ' +
  'element of an array field; in: field value is one of the values of an array `value`.';
export const FilterOp = v.strictObject({
  op: v.literal('filter'),
  field,
  operator: v.pipe(v.picklist(FILTER_OPERATORS), v.description(FILTER_OPERATOR)),
  value: v.pipe(v.unknown(), v.description('The value to compare with (an array for "in").')),
});

export const DeduplicateOp = v.strictObject({
  op: v.literal('deduplicate'),
  by: v.optional(v.pipe(v.array(field), v.minLength(1), v.description('Fields that identify a duplicate; whole records when omitted.'))),
});

const AggregateSpec = v.strictObject({
  field,
  fn: aggregateFn,
  as: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Output field name (default "<fn>_<field>").'))),
});

export const GroupOp = v.strictObject({
  op: v.literal('group'),
  by: v.pipe(fields, v.description('Field(s) to group by.')),
  aggregate: v.optional(v.pipe(v.array(AggregateSpec), v.description('Aggregates per group; every group always gets "count" (its records).'))),
});

const AggregateOp = v.strictObject({ op: v.literal('aggregate'), field, fn: aggregateFn });

const StatisticsOp = v.strictObject({ op: v.literal('statistics'), field });

export const Operation = v.variant('op', [SortOp, FilterOp, DeduplicateOp, GroupOp, AggregateOp, StatisticsOp]);
export type Operation = v.InferOutput<typeof Operation>;

const OPERATIONS = 'Operations applied in order. sort/filter/deduplicate/group change the records; aggregate/statistics add a result.';
const OPS = ['sort', 'filter', 'deduplicate', 'group', 'aggregate', 'statistics'] as const;

/**
 * One operation as tools/list shows it: one object with every field, `op`
 * saying which apply — not a oneOf of six objects, which client adapters
 * misread (LangChain's MCP adapter keeps only the last branch, so a model was
 * told every op must be "statistics"). Each call is parsed with `Operation`.
 */
const AdvertisedOperation = v.object({
  op: v.pipe(v.picklist(OPS), v.description('Which operation; the other fields are its parameters.')),
  by: v.optional(
    v.pipe(
      fields,
      v.description('sort: field or fields in priority order; group: field(s) to group by; deduplicate: an array of fields (whole records when omitted).'),
    ),
  ),
  order: v.optional(v.pipe(v.picklist(['asc', 'desc']), v.description('sort: direction (default "asc").'))),
  field: v.optional(v.pipe(v.string(), v.minLength(1), v.description('filter, aggregate, statistics: a top-level field of the records.'))),
  operator: v.optional(v.pipe(v.picklist(FILTER_OPERATORS), v.description(`filter: ${FILTER_OPERATOR}`))),
  value: v.optional(v.pipe(v.unknown(), v.description('filter: the value to compare with (an array for "in").'))),
  fn: v.optional(v.pipe(v.picklist(['count', 'sum', 'avg', 'min', 'max']), v.description(`aggregate: ${AGGREGATE_FN}`))),
  aggregate: v.optional(
    v.pipe(v.array(AggregateSpec), v.description('group: aggregates per group ({field, fn, as?}); every group always gets "count" (its records).')),
  ),
});

export const Input = v.object({
  data: v.pipe(
    v.array(recordSchema()),
    v.maxLength(100_000, 'must have at most 100000 records'),
    v.description('The records: an array of JSON objects, e.g. [{"name": "a", "price": 3}].'),
  ),
  operations: v.pipe(v.array(Operation), v.maxLength(50, 'must have at most 50 operations'), v.description(OPERATIONS)),
});

/** What tools/list shows (see AdvertisedOperation). */
export const AdvertisedInput = v.object({ ...Input.entries, operations: v.pipe(v.array(AdvertisedOperation), v.maxLength(50), v.description(OPERATIONS)) });

export const Output = v.object({
  records: v.pipe(v.array(recordSchema()), v.description('The records after all operations.')),
  recordCount: v.number(),
  results: v.pipe(
    v.array(v.object({ op: v.picklist(['aggregate', 'statistics']), index: v.number(), field: v.string() })),
    v.description('One entry per aggregate/statistics operation, in order; "index" is its position in operations.'),
  ),
  steps: v.array(v.object({ index: v.number(), op: v.string(), recordsIn: v.number(), recordsOut: v.number(), detail: v.string() })),
  summary: v.string(),
});

export type DataProcessorInput = v.InferOutput<typeof Input>;
