import { checkPattern } from '../linear-regexp.ts';

/**
 * An OpenAPI schema object (2.0, 3.0 or 3.1, already dereferenced) → a JSON
 * Schema 2020-12 that Toolport's strict checker accepts: only JSON Schema
 * keywords are kept (`xml`, `externalDocs`, `discriminator`, `x-*` … are
 * dropped, since strict mode refuses unknown keywords); 3.0 `nullable` becomes
 * a type union, `example` becomes `examples`, boolean `exclusiveMinimum` /
 * `exclusiveMaximum` (2.0/3.0) the numeric form; formats the checker does
 * not know and patterns the linear-time engine cannot run are dropped (with
 * a note); a schema that refers back to itself (dereferenced cycles) or that
 * nests deeper than MAX_DEPTH becomes `{}` (anything) at that point.
 */

type Json = Record<string, unknown>;

/** Schema levels kept (each level is two JSON levels: `properties` → name). */
export const MAX_DEPTH = 12;

/** Formats of ajv-formats (what Toolport's checker registers) that OpenAPI documents use. */
const KNOWN_FORMATS = new Set([
  'date',
  'time',
  'date-time',
  'iso-time',
  'iso-date-time',
  'duration',
  'uri',
  'uri-reference',
  'uri-template',
  'url',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'regex',
  'uuid',
  'json-pointer',
  'json-pointer-uri-fragment',
  'relative-json-pointer',
  'byte',
  'int32',
  'int64',
  'float',
  'double',
  'password',
  'binary',
]);

/** Keywords whose value is kept as it is (no subschemas inside). */
const PLAIN = new Set([
  'type',
  'enum',
  'const',
  'default',
  'title',
  'description',
  'multipleOf',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxContains',
  'minContains',
  'maxProperties',
  'minProperties',
  'required',
  'dependentRequired',
  'deprecated',
  'readOnly',
  'writeOnly',
  'examples',
  'contentEncoding',
  'contentMediaType',
]);
const ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'];
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', 'dependentSchemas'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface SchemaOptions {
  /** A request body: properties marked `readOnly` are not required of the caller (OpenAPI: required applies to responses only). They stay allowed, since documents often need them (an id in an update). */
  request?: boolean;
  /** Notes on what was dropped (unknown format, unusable pattern), once each. */
  notes?: Set<string>;
}

export function toJsonSchema(schema: unknown, options: SchemaOptions = {}): Json | boolean {
  return convert(schema, options, new Set(), 0);
}

function convert(schema: unknown, options: SchemaOptions, seen: Set<object>, depth: number): Json | boolean {
  if (typeof schema === 'boolean') return schema;
  if (!isObject(schema)) return {};
  // A cycle (swagger-parser dereferences recursive schemas into object cycles) or too deep: anything from here on.
  if (seen.has(schema) || depth >= MAX_DEPTH || typeof schema.$ref === 'string') {
    return typeof schema.description === 'string' ? { description: schema.description } : {};
  }
  seen.add(schema);
  try {
    const out: Json = {};
    for (const [key, value] of Object.entries(schema)) {
      if (PLAIN.has(key)) out[key] = value;
      else if (ONE.includes(key)) {
        // `items` as a list is the draft-04 tuple form (not OpenAPI): its first schema stands for all.
        const one = key === 'items' && Array.isArray(value) ? (value[0] ?? {}) : value;
        out[key] = convert(one, options, seen, depth + 1);
      } else if (LIST.includes(key) && Array.isArray(value)) out[key] = value.map((item) => convert(item, options, seen, depth + 1));
      else if (MAP.includes(key) && isObject(value)) {
        const map: Json = {};
        for (const [name, sub] of Object.entries(value)) {
          map[name] = convert(sub, options, seen, depth + 1);
        }
        out[key] = map;
      } else if (key === 'format' && typeof value === 'string') {
        if (KNOWN_FORMATS.has(value)) out.format = value;
        else options.notes?.add(`format "${value}" is not checked (unknown to the JSON Schema checker)`);
      } else if (key === 'pattern' && typeof value === 'string') {
        if ('size' in checkPattern(value)) out.pattern = value;
        else options.notes?.add(`pattern "${value.slice(0, 60)}" is not checked (the linear-time engine cannot run it)`);
      }
    }
    numericBounds(schema, out);
    if (schema.example !== undefined && out.examples === undefined) out.examples = [schema.example];
    if (!Array.isArray(out.examples)) delete out.examples;
    if (Array.isArray(out.required)) {
      // Read-only properties are not required in a request.
      const original = isObject(schema.properties) ? schema.properties : {};
      const readOnly = (name: string) => options.request === true && isObject(original[name]) && original[name].readOnly === true;
      const required = (out.required as unknown[]).filter((name): name is string => typeof name === 'string' && !readOnly(name));
      if (required.length) out.required = [...new Set(required)];
      else delete out.required;
    }
    if (schema.type === 'file') out.type = 'string'; // Swagger 2.0 formData files (not sent by the http kind; see convert)
    return schema.nullable === true ? nullable(out) : out;
  } finally {
    seen.delete(schema);
  }
}

/** 2.0/3.0 `exclusiveMinimum: true` qualifies `minimum`; 3.1/2020-12 gives the bound itself. */
function numericBounds(schema: Json, out: Json): void {
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    const flag = schema[exclusive];
    if (typeof flag === 'number') out[exclusive] = flag;
    else if (flag === true && typeof schema[bound] === 'number') {
      out[exclusive] = schema[bound];
      delete out[bound];
    }
  }
}

/** OpenAPI 3.0 `nullable: true` → null allowed as well. */
function nullable(out: Json): Json {
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  else if (Array.isArray(out.type)) {
    if (!out.type.includes('null')) out.type = [...out.type, 'null'];
  } else if (out.allOf || out.anyOf || out.oneOf) {
    return { anyOf: [out, { type: 'null' }] };
  }
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}
