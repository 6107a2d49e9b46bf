import type * as v from 'valibot';
import type { JsonSchema, QueryParameter } from './json-schema.ts';

/**
 * One REST operation as the OpenAPI document describes it: where it is,
 * who may call it, what it reads (the valibot schema its route parses the
 * body with) and what it answers.
 */
export interface OperationSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** The OpenAPI path, `{name}` for a path parameter. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** public: no credential; read: any scope of the server; write: `<server>:write`; admin: `admin`. */
  access: 'public' | 'read' | 'write' | 'admin';
  /** The body: the valibot schema the route validates it with, or a JSON Schema; its media types (application/json by default). */
  body?: { schema: v.GenericSchema | JsonSchema; mediaTypes?: string[]; description?: string };
  query?: QueryParameter[];
  /** Takes If-Match (a version ETag). */
  ifMatch?: boolean;
  /** The success answer: status, description, schema (JSON by default). */
  ok: { status: string; description: string; schema?: JsonSchema; mediaType?: string };
  /** The error statuses it may answer besides the ones its access and body imply. */
  errors?: string[];
  /** Served only when this feature is on (GET /metrics, /servers, /registry, /upstreams, the admin UI). */
  feature?: 'metrics' | 'servers' | 'registry' | 'upstreams' | 'ui';
  /** The body of POST /tools/call: replaced by the caller's tools as a oneOf. */
  callBody?: true;
}

export const query = (name: string, description: string, schema: JsonSchema = { type: 'string' }, required = false): QueryParameter => ({
  name,
  in: 'query',
  required,
  description,
  schema,
});

export const LIMIT_CURSOR = (max: number, what: string): QueryParameter[] => [
  query('limit', `How many ${what} per page (1–${max})`, { type: 'integer', minimum: 1, maximum: max }),
  query('cursor', 'The nextCursor of the previous page, unchanged'),
];

export function isValibot(schema: v.GenericSchema | JsonSchema): schema is v.GenericSchema {
  return typeof (schema as { '~run'?: unknown })['~run'] === 'function';
}
