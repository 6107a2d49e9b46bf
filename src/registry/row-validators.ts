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
const inputMemo = new WeakMap<object, ArgumentsValidator>();
const outputMemo = new WeakMap<object, ArgumentsValidator>();
const checkedRows = new WeakSet<object>();

interface SchemaRow {
  inputSchema: unknown;
  outputSchema: unknown;
}

/** The row's argument validator, compiled (or shared from an identical schema) on first use; throws a bad_request AppError when it does not compile. */
export function inputValidatorOf(row: SchemaRow, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): ArgumentsValidator {
  let validator = inputMemo.get(row);
  if (!validator) {
    validator = validators.get(row.inputSchema as Record<string, unknown>, '/input_schema', limits);
    inputMemo.set(row, validator);
  }
  return validator;
}

/** The row's output-schema validator (undefined without an output schema). */
export function outputValidatorOf(row: SchemaRow, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): ArgumentsValidator | undefined {
  if (!row.outputSchema) return undefined;
  let validator = outputMemo.get(row);
  if (!validator) {
    validator = validators.get(row.outputSchema as Record<string, unknown>, '/output_schema', limits);
    outputMemo.set(row, validator);
  }
  return validator;
}

/**
 * What a call needs before it runs anything: both validators of the row
 * (compiled on first use); throws a bad_request AppError naming the schema
 * (`Invalid input_schema: …` / `Invalid output_schema: …`) when one is unusable.
 */
export function validatorsOf(
  row: SchemaRow,
  limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS,
): { input: ArgumentsValidator; output: ArgumentsValidator | undefined } {
  const input = inputValidatorOf(row, limits);
  const output = outputValidatorOf(row, limits);
  checkedRows.add(row);
  return { input, output };
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
