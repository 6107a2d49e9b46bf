import type { Json } from './load.ts';
import { type SchemaOptions, toJsonSchema } from './schema.ts';

/**
 * The arguments of one operation: its parameters (the path item's, overridden
 * by the operation's) and its JSON request body, each as a JSON Schema and a
 * place in the request. Query parameters and body properties keep their
 * names (the http kind sends an argument under its own name); a path or
 * header parameter whose name is taken or not an argument name is renamed
 * (`path_id`, `header_id`), since its placeholder or headerArgs entry says
 * where it goes.
 */

export const ARGUMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Headers OpenAPI 3 says to ignore as parameters: the client sets them. */
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

export interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required: boolean;
  schema: Json | boolean;
}

export interface RequestBody {
  required: boolean;
  /** The JSON media type's schema, converted; undefined when the body is not JSON. */
  schema: Json | boolean | undefined;
  mediaTypes: string[];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const JSON_MEDIA = /^(application\/([\w.-]+\+)?json|\*\/\*|application\/\*)(\s*;.*)?$/i;

/** Swagger 2.0 keeps a non-body parameter's schema on the parameter itself. */
const SWAGGER2_SCHEMA_FIELDS = [
  'type',
  'format',
  'items',
  'enum',
  'default',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'multipleOf',
];

function parameterSchema(parameter: Json, version: string, options: SchemaOptions): Json | boolean {
  let raw: unknown;
  if (version === '2.0') raw = Object.fromEntries(SWAGGER2_SCHEMA_FIELDS.filter((key) => key in parameter).map((key) => [key, parameter[key]]));
  else if (isObject(parameter.schema)) raw = parameter.schema;
  else if (isObject(parameter.content)) raw = Object.values(parameter.content).find(isObject)?.schema;
  const schema = toJsonSchema(raw ?? {}, options);
  if (!isObject(schema)) return schema;
  if (typeof parameter.description === 'string' && schema.description === undefined) schema.description = parameter.description;
  if (parameter.deprecated === true) schema.deprecated = true;
  if (parameter.example !== undefined && schema.examples === undefined) schema.examples = [parameter.example];
  return schema;
}

/** Path-item parameters, overridden by the operation's of the same `in` and `name`. */
export function parametersOf(pathItem: Json, operation: Json): Json[] {
  const merged = new Map<string, Json>();
  for (const list of [pathItem.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const parameter of list) if (isObject(parameter)) merged.set(`${parameter.in}:${parameter.name}`, parameter);
  }
  return [...merged.values()];
}

export interface Collected {
  parameters: Parameter[];
  body: RequestBody | undefined;
  /** Parameters that cannot be sent (formData, files, ignored headers …): name and why. */
  dropped: { name: string; required: boolean; why: string }[];
}

export function collectArguments(api: Json, version: string, pathItem: Json, operation: Json, options: SchemaOptions): Collected {
  const parameters: Parameter[] = [];
  const dropped: Collected['dropped'] = [];
  let body: RequestBody | undefined;
  const formData: Json[] = [];
  for (const parameter of parametersOf(pathItem, operation)) {
    const name = String(parameter.name ?? '');
    const where = String(parameter.in ?? '');
    const required = parameter.required === true || where === 'path';
    if (where === 'body') {
      const consumes = Array.isArray(operation.consumes) ? operation.consumes : Array.isArray(api.consumes) ? api.consumes : [];
      const json = consumes.length === 0 || consumes.some((type) => typeof type === 'string' && JSON_MEDIA.test(type));
      body = { required, schema: json ? toJsonSchema(parameter.schema ?? {}, { ...options, request: true }) : undefined, mediaTypes: consumes.map(String) };
    } else if (where === 'formData') {
      formData.push(parameter);
    } else if (where === 'header' && IGNORED_HEADERS.has(name.toLowerCase())) {
      dropped.push({ name, required: false, why: `header "${name}" is set by the HTTP client` });
    } else if (where === 'path' || where === 'query' || where === 'header' || where === 'cookie') {
      parameters.push({ in: where, name, required, schema: parameterSchema(parameter, version, options) });
    }
  }
  if (formData.length) {
    body = { required: formData.some((parameter) => parameter.required === true), schema: undefined, mediaTypes: ['application/x-www-form-urlencoded'] };
  }
  if (version !== '2.0' && isObject(operation.requestBody)) {
    const content = isObject(operation.requestBody.content) ? operation.requestBody.content : {};
    const mediaTypes = Object.keys(content);
    const json = mediaTypes.find((type) => JSON_MEDIA.test(type));
    const media = json ? content[json] : undefined;
    body = {
      required: operation.requestBody.required === true,
      schema: json ? toJsonSchema(isObject(media) ? (media.schema ?? {}) : {}, { ...options, request: true }) : undefined,
      mediaTypes,
    };
  }
  return { parameters, body, dropped };
}

/**
 * An object body's arguments, when it can be sent as "the JSON object of the
 * remaining arguments": an object schema (or an allOf of them) without
 * anyOf/oneOf/not/if. Undefined otherwise (an array, a scalar, a union).
 */
export function objectBodyParts(schema: Json | boolean): { properties: Json; required: string[]; additional: unknown } | undefined {
  if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) return { properties: {}, required: [], additional: true };
  if (!isObject(schema)) return undefined;
  if (['anyOf', 'oneOf', 'not', 'if', 'patternProperties'].some((key) => key in schema)) return undefined;
  const type = schema.type;
  if (type !== undefined && type !== 'object') return undefined;
  const parts = { properties: {} as Json, required: [] as string[], additional: schema.additionalProperties as unknown };
  if (type === undefined && !('properties' in schema) && !('allOf' in schema) && !('additionalProperties' in schema)) return undefined;
  if (Array.isArray(schema.allOf)) {
    for (const member of schema.allOf) {
      const inner = objectBodyParts(member as Json);
      if (!inner) return undefined;
      Object.assign(parts.properties, inner.properties);
      parts.required.push(...inner.required);
      if (inner.additional !== undefined && parts.additional === undefined) parts.additional = inner.additional;
    }
  }
  if (isObject(schema.properties)) Object.assign(parts.properties, schema.properties);
  if (Array.isArray(schema.required)) parts.required.push(...schema.required.filter((name): name is string => typeof name === 'string'));
  return parts;
}
