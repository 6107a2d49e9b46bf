import { type Config, loadConfig } from '../shared/config.ts';
import { AppError, type FieldIssue } from '../shared/errors.ts';
import { checkPattern, MAX_PATTERN_PROGRAM } from './linear-regexp.ts';

/**
 * What a stored input or output schema must satisfy before ajv sees it, so
 * that compiling it stays short and validating with it always ends:
 *
 * - bounded: nesting depth, size as JSON text, properties and subschemas
 *   counted over every level (README "Limits"); a walk without recursion, so
 *   a hostile depth cannot overflow it;
 * - its regular expressions run on the linear-time engine (linear-regexp.ts);
 * - every `$ref` resolves inside the schema itself (or to a JSON Schema
 *   meta-schema), every `$dynamicRef` to a `$dynamicAnchor` of the schema;
 * - no reference cycle that comes back to a schema without stepping into the
 *   data: `{"$ref": "#"}` at the root applies the root to the same value for
 *   ever, while a tree schema recursing through `properties` or `items` goes
 *   one level deeper into the data each time, and so ends.
 */

export type SchemaLimits = Config['limits'];

/** The defaults of TOOLPORT_MAX_JSON_DEPTH, TOOLPORT_MAX_SCHEMA_BYTES and TOOLPORT_MAX_SCHEMA_PROPERTIES (for callers given no configuration). */
export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = Object.freeze(loadConfig({}).limits);

/** Subschemas (every schema object or boolean, at any level) a schema may have, per allowed property: compile time grows with them. */
export const SUBSCHEMAS_PER_PROPERTY = 2;

/** Distinct regular expressions a schema may carry (each one is compiled up front). */
export const MAX_PATTERNS = 50;

/** RE2 instructions of the distinct regular expressions of a schema, in total: bounds compile time, and the time a string takes through all of them. */
export const MAX_PATTERN_PROGRAMS = 4 * MAX_PATTERN_PROGRAM;

/** At most this many problems are listed in one error. */
const MAX_ISSUES = 20;

/** The 400 a writer gets; `details` paths are full (e.g. /inputSchema/properties/code/pattern). */
export function schemaProblems(field: string, issues: FieldIssue[], cause?: unknown): AppError {
  const details = issues.slice(0, MAX_ISSUES);
  const more = issues.length > details.length ? ` (and ${issues.length - details.length} more)` : '';
  return new AppError('bad_request', `Invalid ${field.slice(1)}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}${more}`, { details, cause });
}

/** How a keyword holds subschemas, and whether applying them steps into the data. */
type Shape = 'one' | 'list' | 'map';
type Applies = 'in-place' | 'into-data' | 'not-applied';

/** Keywords holding subschemas (a Map: `then` is one of them, and a `then` property makes an object look like a promise). */
const KEYWORDS = new Map<string, [Shape, Applies]>([
  ['allOf', ['list', 'in-place']],
  ['anyOf', ['list', 'in-place']],
  ['oneOf', ['list', 'in-place']],
  ['not', ['one', 'in-place']],
  ['if', ['one', 'in-place']],
  ['then', ['one', 'in-place']],
  ['else', ['one', 'in-place']],
  ['dependentSchemas', ['map', 'in-place']],
  ['dependencies', ['map', 'in-place']],
  ['properties', ['map', 'into-data']],
  ['patternProperties', ['map', 'into-data']],
  ['additionalProperties', ['one', 'into-data']],
  ['unevaluatedProperties', ['one', 'into-data']],
  ['propertyNames', ['one', 'into-data']],
  ['items', ['one', 'into-data']],
  ['prefixItems', ['list', 'into-data']],
  ['additionalItems', ['one', 'into-data']],
  ['unevaluatedItems', ['one', 'into-data']],
  ['contains', ['one', 'into-data']],
  ['$defs', ['map', 'not-applied']],
  ['definitions', ['map', 'not-applied']],
  ['contentSchema', ['one', 'not-applied']],
]);

/** A base URI for the schema's root (its own `$id` is dropped before compiling, see arguments.ts). */
const ROOT_BASE = 'https://toolport.invalid/tool-schema/root';

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string;
  /** Set when the value sits where a schema goes. */
  schema?: { parent: SchemaNode | undefined; via: string[]; applies: Applies };
  /** Set on the frame of a keyword's list or map of subschemas. */
  holds?: { owner: SchemaNode; keyword: string; applies: Applies };
}

export interface SchemaNode {
  value: Record<string, unknown>;
  frame: Frame;
  /** Base URI of the schema resource it belongs to (no fragment). */
  base: string;
  resource: SchemaNode | undefined;
  /** Subschemas applied to the same value, with the keyword path from this node. */
  inPlace: { node: SchemaNode; via: string[] }[];
}

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function withoutFragment(url: URL): string {
  return url.href.replace(/#.*$/, '');
}

/** A schema that is within the limits: its JSON text (caches are keyed by it) and its subschemas, for the checks that follow. */
export interface MeasuredSchema {
  text: string;
  field: string;
  nodes: SchemaNode[];
}

export class Walk {
  constructor(
    readonly field: string,
    readonly nodes: SchemaNode[] = [],
  ) {}

  pointer(frame: Frame | undefined, ...more: string[]): string {
    const keys: string[] = [];
    for (let current = frame; current?.parent; current = current.parent) keys.push(current.key);
    return this.field + [...keys.reverse(), ...more].map((key) => `/${escapeSegment(key)}`).join('');
  }

  fail(frame: Frame, message: string): AppError {
    return schemaProblems(this.field, [{ path: this.pointer(frame), message }]);
  }
}

/**
 * The bounds, checked in one walk without recursion (refused as soon as one
 * is crossed, before anything recursive — JSON.stringify, ajv — sees the
 * schema), then the size as JSON text. Throws a bad_request AppError.
 */
export function measureSchema(schema: Record<string, unknown>, limits: SchemaLimits, field: string): MeasuredSchema {
  const walk = new Walk(field);
  const maxSubschemas = limits.schemaProperties * SUBSCHEMAS_PER_PROPERTY;
  let properties = 0;
  let subschemas = 0;
  const tooManySubschemas = (frame: Frame) =>
    walk.fail(
      frame,
      `has more than ${maxSubschemas} subschemas counted over all levels (${SUBSCHEMAS_PER_PROPERTY} per property of TOOLPORT_MAX_SCHEMA_PROPERTIES)`,
    );
  const stack: Frame[] = [{ value: schema, depth: 1, parent: undefined, key: '', schema: { parent: undefined, via: [], applies: 'not-applied' } }];
  while (stack.length) {
    const frame = stack.pop()!;
    const { value } = frame;
    if (typeof value !== 'object' || value === null) {
      if (frame.schema && typeof value === 'boolean' && ++subschemas > maxSubschemas) throw tooManySubschemas(frame);
      continue;
    }
    if (frame.depth > limits.jsonDepth) {
      throw walk.fail(frame, `is nested deeper than ${limits.jsonDepth} levels of objects and arrays (TOOLPORT_MAX_JSON_DEPTH=${limits.jsonDepth})`);
    }
    let node: SchemaNode | undefined;
    if (frame.schema && isObject(value)) {
      if (++subschemas > maxSubschemas) throw tooManySubschemas(frame);
      const parent = frame.schema.parent;
      let base = parent?.base ?? ROOT_BASE;
      const ownId = parent !== undefined && typeof value.$id === 'string';
      if (ownId) {
        try {
          base = withoutFragment(new URL(value.$id as string, base));
        } catch {
          throw schemaProblems(field, [{ path: walk.pointer(frame, '$id'), message: `"${value.$id}" is not a valid URI reference` }]);
        }
      }
      node = { value, frame, base, resource: undefined, inPlace: [] };
      node.resource = ownId || !parent ? node : parent.resource;
      walk.nodes.push(node);
      if (parent && frame.schema.applies === 'in-place') parent.inPlace.push({ node, via: frame.schema.via });
      for (const keyword of ['properties', 'patternProperties']) {
        const map = value[keyword];
        if (isObject(map)) properties += Object.keys(map).length;
      }
      if (properties > limits.schemaProperties) {
        throw walk.fail(
          frame,
          `brings the properties of this schema over ${limits.schemaProperties}, counted over all levels (TOOLPORT_MAX_SCHEMA_PROPERTIES=${limits.schemaProperties})`,
        );
      }
    }
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, at) => [String(at), item]) : Object.entries(value);
    for (const [key, child] of entries) {
      const next: Frame = { value: child, depth: frame.depth + 1, parent: frame, key };
      if (node && KEYWORDS.has(key)) {
        const [shape, applies] = KEYWORDS.get(key)!;
        // `items` as a list is the draft-07 form: walked like prefixItems, so nothing in it goes unchecked.
        if (shape === 'one' && !Array.isArray(child)) next.schema = { parent: node, via: [key], applies };
        else if (shape === 'map' ? isObject(child) : Array.isArray(child)) next.holds = { owner: node, keyword: key, applies };
      } else if (frame.holds) {
        next.schema = { parent: frame.holds.owner, via: [frame.holds.keyword, key], applies: frame.holds.applies };
      }
      stack.push(next);
    }
  }
  let text: string;
  try {
    text = JSON.stringify(schema);
  } catch (error) {
    throw schemaProblems(field, [{ path: field, message: `cannot be written as JSON text: ${(error as Error).message}` }]);
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.schemaBytes) {
    throw schemaProblems(field, [
      { path: field, message: `is ${bytes} bytes as JSON text, over the limit of ${limits.schemaBytes} (TOOLPORT_MAX_SCHEMA_BYTES=${limits.schemaBytes})` },
    ]);
  }
  return { text, field, nodes: walk.nodes };
}

/** The regular expressions of every subschema: those the engine cannot run, and the number and size of the distinct ones. */
export function checkPatterns(walk: Walk, issues: FieldIssue[]): void {
  const seen = new Set<string>();
  let instructions = 0;
  const check = (pattern: string, path: string) => {
    if (seen.has(pattern)) return;
    seen.add(pattern);
    const shown = `"${pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern}"`;
    if (seen.size > MAX_PATTERNS) {
      issues.push({ path, message: `${shown} is one regular expression too many: a schema may have ${MAX_PATTERNS} distinct ones` });
      return;
    }
    const checked = checkPattern(pattern);
    if ('problem' in checked) {
      issues.push({ path, message: `${shown} ${checked.problem}` });
      return;
    }
    instructions += checked.size;
    if (instructions > MAX_PATTERN_PROGRAMS) {
      issues.push({
        path,
        message: `${shown} brings the regular expressions of this schema over ${MAX_PATTERN_PROGRAMS} instructions of the linear-time engine in total`,
      });
    }
  };
  for (const node of walk.nodes) {
    if (issues.length >= MAX_ISSUES) return;
    if (typeof node.value.pattern === 'string') check(node.value.pattern, walk.pointer(node.frame, 'pattern'));
    const patterns = node.value.patternProperties;
    if (isObject(patterns)) for (const pattern of Object.keys(patterns)) check(pattern, walk.pointer(node.frame, 'patternProperties', pattern));
  }
}
