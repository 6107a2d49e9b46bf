import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { JsonObject } from '../../shared/validation.ts';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

const converted = new WeakMap<object, JsonSchema>();

/**
 * The JSON Schema of a request as its valibot schema accepts it (the input
 * side: before transforms, defaults optional). Checks JSON Schema cannot say
 * (a reserved id, a secret reference's form) are left out; the route still
 * runs them and names the field when one fails. A JSON-object field
 * (shared/validation.ts JsonObject) is `{"type":"object"}`.
 */
export function requestSchema(schema: v.GenericSchema): JsonSchema {
  let json = converted.get(schema);
  if (!json) {
    const { $schema: _dialect, ...rest } = toJsonSchema(schema, {
      target: 'draft-2020-12',
      typeMode: 'input',
      errorMode: 'ignore',
      overrideSchema: (context) => (context.valibotSchema === JsonObject ? { type: 'object' } : undefined),
    }) as JsonSchema;
    json = rest;
    converted.set(schema, json);
  }
  return json;
}

/** An object schema's members as OpenAPI query parameters (GET /audit's filters). */
export function queryParametersOf(schema: v.GenericSchema, describe: Record<string, string> = {}): QueryParameter[] {
  const json = requestSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query' as const,
    required: required.has(name),
    schema: property,
    ...(describe[name] ? { description: describe[name] } : {}),
  }));
}

export interface QueryParameter {
  name: string;
  in: 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}
