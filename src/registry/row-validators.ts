import { type ArgumentsValidator, validators } from './arguments.ts';
import { DEFAULT_SCHEMA_LIMITS, type SchemaLimits } from './schema-limits.ts';

/**
 * The per-tool memo, owned here rather than on the registry's entries (which
 * are published in immutable snapshots): a row object → its compiled
 * validators, and the rows whose input and output schemas are known to
 * compile. Rows are replaced, never changed (a re-read at the same version
 * keeps the old row object), so the memo lives exactly as long as the
 * definition it belongs to.
 */
const memo = new WeakMap<object, RowValidators>();
const checkedRows = new WeakSet<object>();

interface SchemaRow {
  inputSchema: unknown;
  outputSchema: unknown;
}

/** Both validators of a row: the arguments' and the structuredContent's (undefined without an output schema). */
export interface RowValidators {
  readonly input: ArgumentsValidator;
  readonly output: ArgumentsValidator | undefined;
}

/**
 * What a call needs before it runs anything: both validators of the row,
 * compiled (or shared from an identical schema) on first use and then found
 * with one lookup; throws a bad_request AppError naming the schema
 * (`Invalid input_schema: …` / `Invalid output_schema: …`) when one is unusable.
 */
export function validatorsOf(row: SchemaRow, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): RowValidators {
  let known = memo.get(row);
  if (!known) {
    const input = validators.get(row.inputSchema as Record<string, unknown>, '/input_schema', limits);
    const output = row.outputSchema ? validators.get(row.outputSchema as Record<string, unknown>, '/output_schema', limits) : undefined;
    known = { input, output };
    memo.set(row, known);
    checkedRows.add(row);
  }
  return known;
}

/** Compile once to learn whether both schemas are usable, without keeping the validators on the row (memory stays bounded by the cache). */
export function checkSchemas(row: SchemaRow, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): void {
  if (checkedRows.has(row)) return;
  validators.get(row.inputSchema as Record<string, unknown>, '/input_schema', limits);
  if (row.outputSchema) validators.get(row.outputSchema as Record<string, unknown>, '/output_schema', limits);
  checkedRows.add(row);
}

/** Whether the row's schemas are known to compile (the background check or a first call found out). */
export function areSchemasChecked(row: SchemaRow): boolean {
  return checkedRows.has(row);
}
