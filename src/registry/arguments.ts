import { AjvJsonSchemaValidator, addFormats } from '@modelcontextprotocol/server/validators/ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { AppError, type FieldIssue } from '../shared/errors.ts';

/**
 * Arguments of registry tools are checked against their stored JSON Schema
 * (2020-12) with the validator the MCP SDK ships, on an ajv engine we
 * configure: strict about the *schema* (an unknown keyword such as `requried`
 * or an unresolvable $ref is refused when the tool is registered instead of
 * being silently ignored), standard about the *data* (no coercion, no
 * removal of extra properties).
 */
const engine = new Ajv2020({
  strict: false,
  strictSchema: true,
  strictNumbers: true,
  validateSchema: true,
  validateFormats: true,
  allErrors: true,
  logger: false,
});
addFormats(engine as never);
const provider = new AjvJsonSchemaValidator(engine as never);

export type ArgumentsValidator = (args: unknown) => FieldIssue[] | undefined;

/** ajv's errorsText joins "data/path message" entries with ", ". */
function toIssues(errorMessage: string | undefined, prefix = ''): FieldIssue[] {
  if (!errorMessage) return [{ path: prefix || '/', message: 'invalid arguments' }];
  return errorMessage.split(/, (?=data[/ ])/).map((entry) => {
    const match = /^data(\S*) (.*)$/s.exec(entry);
    return match ? { path: prefix + match[1] || '/', message: match[2]! } : { path: prefix || '/', message: entry };
  });
}

/** Root $id would make ajv register the schema globally by id: two tools with one $id would collide. */
function compilable(schema: Record<string, unknown>): Record<string, unknown> {
  const { $id: _id, ...rest } = schema;
  return rest;
}

/** Maps that hold names (of properties, definitions), not keywords. */
const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

/** JSON pointer of the first schema object that has `key` (optionally with `value`) as a keyword. */
function findKeyword(node: unknown, key: string, value?: unknown, pointer = '', inNameMap = false): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (!inNameMap && !Array.isArray(node) && key in node && (value === undefined || (node as Record<string, unknown>)[key] === value)) {
    return `${pointer}/${key}`;
  }
  for (const [childKey, child] of Object.entries(node)) {
    const found = findKeyword(child, key, value, `${pointer}/${childKey}`, !inNameMap && NAME_MAPS.has(childKey));
    if (found) return found;
  }
  return undefined;
}

/** ajv's compile errors carry no location for strict-mode and $ref failures: find it in the schema. */
function describeSchemaError(raw: string, schema: Record<string, unknown>, field: string): FieldIssue[] {
  const message = raw.replace(/^strict mode: /, '');
  const unknownKeyword = /^unknown keyword: "(.+)"/.exec(message);
  if (unknownKeyword) {
    const at = findKeyword(schema, unknownKeyword[1]!) ?? '';
    return [{ path: field + at, message: `unknown keyword "${unknownKeyword[1]}" (not a JSON Schema 2020-12 keyword; misspelled?)` }];
  }
  const badRef = /^can't resolve reference (\S+)/.exec(message);
  if (badRef) {
    const at = findKeyword(schema, '$ref', badRef[1]) ?? '';
    return [{ path: field + at, message: `cannot resolve $ref "${badRef[1]}"` }];
  }
  if (message.startsWith('schema is invalid: ')) return toIssues(message.slice('schema is invalid: '.length), field);
  return [{ path: field, message }];
}

/**
 * Compile a tool's input schema. Throws a bad_request AppError naming the
 * problem (unknown keyword, invalid keyword value, unresolvable $ref).
 */
export function compileArgumentsValidator(schema: Record<string, unknown>, field = '/inputSchema'): ArgumentsValidator {
  let validate: ReturnType<typeof provider.getValidator>;
  const copy = compilable(schema);
  try {
    validate = provider.getValidator(copy as never);
  } catch (error) {
    const details = describeSchemaError((error as Error).message, schema, field);
    throw new AppError('bad_request', `Invalid ${field.slice(1)}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, {
      details,
      cause: error,
    });
  } finally {
    // The validator keeps its compiled function; ajv's own cache would otherwise keep every schema ever seen.
    engine.removeSchema(copy as never);
  }
  return (args) => {
    const result = validate(args);
    return result.valid ? undefined : toIssues(result.errorMessage);
  };
}

/**
 * Compiled validators by schema text, least recently used evicted. A
 * compiled ajv validator costs ~0.7 ms and tens of KB, so compiling every
 * tool of a 10,000-tool registry up front would cost seconds of start-up and
 * hundreds of MB; instead tools share the validator of an identical schema,
 * hot tools keep theirs on their registry entry, and the rest stay bounded here.
 */
export class ValidatorCache {
  private readonly bySchema = new Map<string, ArgumentsValidator>();

  constructor(private readonly maxEntries = 1_000) {}

  /** The validator of a schema; throws a bad_request AppError when it does not compile. */
  get(schema: Record<string, unknown>, field = '/inputSchema'): ArgumentsValidator {
    const key = JSON.stringify(schema);
    const cached = this.bySchema.get(key);
    if (cached) {
      this.bySchema.delete(key);
      this.bySchema.set(key, cached);
      return cached;
    }
    const validator = compileArgumentsValidator(schema, field);
    this.bySchema.set(key, validator);
    if (this.bySchema.size > this.maxEntries) this.bySchema.delete(this.bySchema.keys().next().value!);
    return validator;
  }

  get size(): number {
    return this.bySchema.size;
  }
}

/** One cache per process: the ajv engine is one per process too. */
export const validators = new ValidatorCache();

/**
 * The per-tool memo, owned here rather than on the registry's entries (which
 * are published in immutable snapshots): a row object → its compiled
 * validator, and the rows whose input schema is known to compile. Rows are
 * replaced, never changed (a re-read at the same version keeps the old row
 * object), so the memo lives exactly as long as the definition it belongs to.
 */
const inputMemo = new WeakMap<object, ArgumentsValidator>();
const outputMemo = new WeakMap<object, ArgumentsValidator>();
const checkedRows = new WeakSet<object>();

interface SchemaRow {
  inputSchema: unknown;
  outputSchema: unknown;
}

/** The row's argument validator, compiled (or shared from an identical schema) on first use; throws a bad_request AppError when it does not compile. */
export function inputValidatorOf(row: SchemaRow): ArgumentsValidator {
  let validator = inputMemo.get(row);
  if (!validator) {
    validator = validators.get(row.inputSchema as Record<string, unknown>, '/input_schema');
    inputMemo.set(row, validator);
    checkedRows.add(row);
  }
  return validator;
}

/** The row's output-schema validator (undefined without an output schema). */
export function outputValidatorOf(row: SchemaRow): ArgumentsValidator | undefined {
  if (!row.outputSchema) return undefined;
  let validator = outputMemo.get(row);
  if (!validator) {
    validator = validators.get(row.outputSchema as Record<string, unknown>, '/output_schema');
    outputMemo.set(row, validator);
  }
  return validator;
}

/** Compile once to learn whether the input schema is usable, without keeping the validator on the row (memory stays bounded by the cache). */
export function checkInputSchema(row: SchemaRow): void {
  if (checkedRows.has(row)) return;
  validators.get(row.inputSchema as Record<string, unknown>, '/input_schema');
  checkedRows.add(row);
}

export function isInputSchemaChecked(row: SchemaRow): boolean {
  return checkedRows.has(row);
}
