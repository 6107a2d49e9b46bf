import { AjvJsonSchemaValidator, addFormats } from '@modelcontextprotocol/server/validators/ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { AppError, type FieldIssue } from '../shared/errors.ts';
import { LruMap } from '../shared/lru-map.ts';
import { ajvRegExpEngine, endPatternBudget, MAX_PATTERN_LENGTH, PATTERN_WORK_PER_CALL, startPatternBudget } from './linear-regexp.ts';
import { MCP_HEADER_KEYWORD, mcpHeaderProblems } from './mcp-header-keyword.ts';
import { DEFAULT_SCHEMA_LIMITS, type MeasuredSchema, measureSchema, type SchemaLimits, schemaProblems } from './schema-limits.ts';
import { assertSoundSchema, setKnownSchemas } from './schema-references.ts';

/**
 * Arguments of registry tools are checked against their stored JSON Schema
 * (2020-12) with the validator the MCP SDK ships, on an ajv engine we
 * configure: strict about the *schema* (an unknown keyword such as `requried`
 * or an unresolvable $ref is refused when the tool is registered instead of
 * being silently ignored), standard about the *data* (no coercion, no
 * removal of extra properties, only own properties count: `{}` has no
 * `constructor` and no `__proto__`). Before ajv sees a schema it is checked
 * against the limits and rules of schema-limits.ts, and its regular
 * expressions run on a linear-time engine (linear-regexp.ts).
 */
const engine = new Ajv2020({
  strict: false,
  strictSchema: true,
  strictNumbers: true,
  validateSchema: true,
  validateFormats: true,
  allErrors: true,
  ownProperties: true,
  // A referenced schema is compiled once and called; inlining it at every reference would multiply compile time and code size.
  inlineRefs: 8,
  // ajv's optimizing pass over the generated code about doubles compile time (which blocks the loop) for no measurable gain when validating.
  code: { regExp: ajvRegExpEngine, optimize: false },
  logger: false,
});
addFormats(engine as never);
// ajv resolves `$anchor` but does not list it as a keyword, so strict mode refused it as unknown.
engine.addKeyword({ keyword: '$anchor', schemaType: 'string' });
// MCP's header-mirroring annotation (mcp-header-keyword.ts checks where it may stand); the validator ignores it.
engine.addKeyword({ keyword: MCP_HEADER_KEYWORD });
// `format: "regex"` checks a caller's string by compiling it (never running it): bounded, since compiling a long pattern takes long.
engine.addFormat('regex', (text: string) => {
  if (text.length > MAX_PATTERN_LENGTH || /[^\\]\\Z/.test(text)) return false;
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
});

/** JSON text of a value with object keys sorted: equal JSON values (ajv's sense of "identical items") give equal keys. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
    .join(',')}}`;
}

/**
 * `uniqueItems` in linear time. ajv compares every pair of items unless the
 * schema declares primitive item types, so `"uniqueItems": true` on an array
 * of objects took seconds for a few ten thousand items sent by any caller.
 */
const uniqueItems = Object.assign(
  (schema: boolean, data: unknown[]): boolean => {
    if (!schema || data.length < 2) return true;
    const seen = new Map<string, number>();
    for (let i = 0; i < data.length; i++) {
      const key = canonicalJson(data[i]);
      const j = seen.get(key);
      if (j !== undefined) {
        uniqueItems.errors = [{ keyword: 'uniqueItems', message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)`, params: { i, j } }];
        return false;
      }
      seen.set(key, i);
    }
    return true;
  },
  { errors: null as unknown },
);
engine.removeKeyword('uniqueItems');
engine.addKeyword({ keyword: 'uniqueItems', type: 'array', schemaType: 'boolean', errors: true, validate: uniqueItems as never });
const provider = new AjvJsonSchemaValidator(engine as never);
setKnownSchemas(Object.keys(engine.schemas));

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

/** References ajv registered while compiling (a nested `$id`): left in place they would leak into every later schema. */
function forgetNewRefs(before: ReadonlySet<string>): void {
  const refs = engine.refs as Record<string, unknown>;
  for (const key of Object.keys(refs)) if (!before.has(key)) delete refs[key];
}

/** Compile a schema that passed measureSchema; `schema` is the schema as stored (for locating ajv's errors). */
function compileMeasured(copy: Record<string, unknown>, measured: MeasuredSchema, schema: Record<string, unknown>): ArgumentsValidator {
  const { field } = measured;
  assertSoundSchema(measured);
  if (measured.text.includes(`"${MCP_HEADER_KEYWORD}"`)) {
    const issues = mcpHeaderProblems(copy, field);
    if (issues.length > 0) throw schemaProblems(field, issues);
  }
  let validate: ReturnType<typeof provider.getValidator>;
  const refsBefore = new Set(Object.keys(engine.refs));
  try {
    validate = provider.getValidator(copy as never);
  } catch (error) {
    const details =
      error instanceof RangeError
        ? [{ path: field, message: `nests or references too deeply to be compiled (${error.message})` }]
        : describeSchemaError((error as Error).message, schema, field);
    throw new AppError('bad_request', `Invalid ${field.slice(1)}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, {
      details,
      cause: error,
    });
  } finally {
    // The validator keeps its compiled function; ajv's own cache would otherwise keep every schema ever seen.
    engine.removeSchema(copy as never);
    forgetNewRefs(refsBefore);
  }
  return (args) => {
    let result: ReturnType<typeof validate>;
    let overBudget: ReturnType<typeof endPatternBudget>;
    startPatternBudget();
    try {
      result = validate(args);
    } catch (error) {
      // A stack overflow while validating (data nested deeper than any body limit lets through): a refusal, not a crash.
      if (error instanceof RangeError) return [{ path: '/', message: 'is nested too deeply to be checked against the schema' }];
      throw error;
    } finally {
      overBudget = endPatternBudget();
    }
    if (result.valid) return undefined;
    const issues = toIssues(result.errorMessage);
    if (overBudget) {
      const shown = overBudget.pattern.length > 80 ? `${overBudget.pattern.slice(0, 80)}…` : overBudget.pattern;
      issues.push({
        path: '/',
        message:
          `holds more text than the schema's patterns may check in one call: a string of ${overBudget.length} characters was not checked against "${shown}" ` +
          `(at most ${PATTERN_WORK_PER_CALL} characters × pattern instructions per call)`,
      });
    }
    return issues;
  };
}

/**
 * Compile a tool's input (or output) schema within `limits`. Throws a
 * bad_request AppError naming the problem (a limit crossed, a pattern the
 * linear-time engine cannot run, an unknown keyword, an invalid keyword
 * value, an unresolvable or endless reference).
 */
export function compileArgumentsValidator(
  schema: Record<string, unknown>,
  field = '/inputSchema',
  limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS,
): ArgumentsValidator {
  const copy = compilable(schema);
  return compileMeasured(copy, measureSchema(copy, limits, field), schema);
}

/**
 * Compiled validators by schema text, least recently used evicted. A
 * compiled ajv validator costs ~0.7 ms and tens of KB, so compiling every
 * tool of a 10,000-tool registry up front would cost seconds of start-up and
 * hundreds of MB; instead tools share the validator of an identical schema,
 * hot tools keep theirs on their registry entry, and the rest stay bounded here.
 */
export class ValidatorCache {
  private readonly bySchema: LruMap<string, ArgumentsValidator>;

  constructor(maxEntries = 1_000) {
    this.bySchema = new LruMap(maxEntries);
  }

  /**
   * The validator of a schema; throws a bad_request AppError when it crosses
   * `limits` or does not compile. The limits are checked on every call (they
   * are the caller's), the rest once per distinct schema.
   */
  get(schema: Record<string, unknown>, field = '/inputSchema', limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): ArgumentsValidator {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
      throw schemaProblems(field, [{ path: field, message: 'must be a JSON object' }]);
    const copy = compilable(schema);
    const measured = measureSchema(copy, limits, field);
    const key = measured.text;
    const cached = this.bySchema.get(key);
    if (cached) return cached;
    const validator = compileMeasured(copy, measured, schema);
    this.bySchema.set(key, validator);
    return validator;
  }

  get size(): number {
    return this.bySchema.size;
  }
}

/** One cache per process: the ajv engine is one per process too. */
export const validators = new ValidatorCache();
