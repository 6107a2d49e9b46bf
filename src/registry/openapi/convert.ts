import type { CreateToolBody } from '../definition.ts';
import { ARGUMENT_NAME, collectArguments, objectBodyParts } from './arguments.ts';
import type { Json, LoadedDocument } from './load.ts';
import type { Operation } from './operations.ts';
import { placeSecurity, type SecretMap } from './security.ts';
import { baseUrlFor } from './servers.ts';

/**
 * One operation → the definition of one `http` tool (pure): the input
 * schema from its parameters and JSON request body, the handler_config
 * placing each argument (url placeholder, query, headerArgs, or the JSON
 * body of the remaining arguments), the security requirement as secret
 * references, and `origin` naming the document and operation. An operation
 * that cannot be called this way is skipped with the reason.
 */

export const HANDLER = 'http';
const MAX_DESCRIPTION = 2_000;
const MAX_TITLE = 200;
const SENDABLE = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

export interface ConvertOptions {
  baseUrl: string | undefined;
  secrets: SecretMap;
  schemes: Record<string, Json>;
}

export type Conversion = { operation: Operation; body: CreateToolBody; warnings: string[] } | { operation: Operation; skipped: string };

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

function describe(operation: Operation): { title: string | null; description: string } {
  const summary = typeof operation.operation.summary === 'string' ? operation.operation.summary.trim() : '';
  const details = typeof operation.operation.description === 'string' ? operation.operation.description.trim() : '';
  const text = [summary, details && details !== summary ? details : ''].filter(Boolean).join('\n\n') || operation.key;
  const deprecated = operation.operation.deprecated === true ? 'Deprecated. ' : '';
  return { title: summary ? cut(summary, MAX_TITLE) : null, description: cut(deprecated + text, MAX_DESCRIPTION) };
}

function annotationsOf(method: string): Json {
  return {
    openWorldHint: true,
    ...(method === 'GET' || method === 'HEAD' ? { readOnlyHint: true } : {}),
    ...(method === 'DELETE' ? { destructiveHint: true } : {}),
    ...(method === 'PUT' || method === 'DELETE' ? { idempotentHint: true } : {}),
  };
}

/** A free name for a renamed path or header argument. */
function freeName(raw: string, where: string, taken: Set<string>): string {
  let name = ARGUMENT_NAME.test(raw) && !taken.has(raw) ? raw : `${where}_${raw.replace(/[^A-Za-z0-9_.-]+/g, '_')}`.slice(0, 64);
  for (let n = 2; taken.has(name) || !ARGUMENT_NAME.test(name); n++) name = `${where}_${n}`;
  return name;
}

export function convertOperation(doc: LoadedDocument, operation: Operation, options: ConvertOptions): Conversion {
  const method = operation.method.toUpperCase();
  const skip = (skipped: string): Conversion => ({ operation, skipped });
  if (!SENDABLE.has(method)) return skip(`method ${method} is not one the http kind sends`);
  const warnings: string[] = [];
  const notes = new Set<string>();
  const collected = collectArguments(doc.api, doc.version, operation.pathItem, operation.operation, { notes });
  const properties: Json = {};
  const required: string[] = [];
  const query: string[] = [];
  const headerArgs: Record<string, string> = {};
  const taken = new Set<string>();

  for (const dropped of collected.dropped) warnings.push(`parameter ${dropped.name} is not sent: ${dropped.why}`);

  // The body first: its properties, like query parameters, keep their names.
  let bodyMode: 'arguments' | 'none' = 'none';
  let additional: unknown = false;
  const body = collected.body;
  if (body && body.schema === undefined) {
    const why = `its request body is ${body.mediaTypes.join(', ') || 'of no media type'}, and the http kind sends JSON`;
    if (body.required) return skip(why);
    warnings.push(`the optional request body is not sent: ${why}`);
  } else if (body && body.schema !== undefined) {
    if (method === 'GET' || method === 'HEAD') {
      if (body.required) return skip(`a ${method} request with a body cannot be sent`);
      warnings.push(`the optional request body of a ${method} is not sent`);
    } else {
      const parts = objectBodyParts(body.schema);
      if (!parts) return skip('its JSON request body is not an object (an array, a scalar or a union): the http kind sends the arguments as one JSON object');
      for (const [name, schema] of Object.entries(parts.properties)) {
        if (!ARGUMENT_NAME.test(name)) {
          if (parts.required.includes(name) && body.required) return skip(`body property "${name}" is not an argument name`);
          warnings.push(`body property "${name}" is not sent: not an argument name`);
          continue;
        }
        properties[name] = schema;
        taken.add(name);
      }
      if (body.required) required.push(...parts.required.filter((name) => name in properties));
      bodyMode = 'arguments';
      additional = parts.additional === undefined ? true : parts.additional;
    }
  }

  // Query names are reserved before path and header arguments are named, so those are the ones renamed on a clash.
  const bodyNames = new Set(taken);
  const queryNames = new Set(collected.parameters.filter((p) => p.in === 'query' && ARGUMENT_NAME.test(p.name) && !bodyNames.has(p.name)).map((p) => p.name));
  for (const name of queryNames) taken.add(name);
  let path = operation.path;
  for (const parameter of collected.parameters) {
    const { name } = parameter;
    if (parameter.in === 'query') {
      if (!queryNames.has(name)) {
        const why = bodyNames.has(name) ? 'a body property has the same name' : 'not an argument name';
        if (parameter.required) return skip(`query parameter "${name}" cannot be sent: ${why}`);
        warnings.push(`query parameter "${name}" is not sent: ${why}`);
        continue;
      }
      query.push(name);
    } else if (parameter.in === 'cookie') {
      if (parameter.required) return skip(`cookie parameter "${name}" is required, and the http kind sends no cookie arguments`);
      warnings.push(`cookie parameter "${name}" is not sent`);
      continue;
    }
    const argument = parameter.in === 'query' ? name : freeName(name, parameter.in, taken);
    if (parameter.in === 'path') {
      if (!path.includes(`{${name}}`)) {
        warnings.push(`path parameter "${name}" does not appear in the path`);
        continue;
      }
      path = path.split(`{${name}}`).join(`{${argument}}`);
    } else if (parameter.in === 'header') {
      headerArgs[argument] = name;
    }
    taken.add(argument);
    properties[argument] = parameter.schema;
    if (parameter.required) required.push(argument);
  }
  // A placeholder without a parameter: still a required string argument.
  for (const match of path.matchAll(/\{([^{}]+)\}/g)) {
    const name = match[1]!;
    if (name in properties) continue;
    if (!ARGUMENT_NAME.test(name)) return skip(`path placeholder {${name}} has no parameter and is not an argument name`);
    properties[name] = { type: 'string' };
    required.push(name);
    taken.add(name);
    warnings.push(`path placeholder {${name}} has no parameter: made a required string`);
  }

  const { placement, warning } = placeSecurity(doc.api, operation.operation, options.schemes, options.secrets);
  if (warning) warnings.push(warning);
  let url: string;
  try {
    url = baseUrlFor(doc.api, doc.version, operation.pathItem, operation.operation, options.baseUrl, doc.location) + path;
  } catch (error) {
    return skip((error as Error).message);
  }
  for (const note of notes) warnings.push(note);

  const config: Json = {
    method,
    url,
    ...(query.length ? { query } : {}),
    ...(Object.keys(placement.staticQuery).length ? { staticQuery: placement.staticQuery } : {}),
    ...(Object.keys(headerArgs).length ? { headerArgs } : {}),
    ...(Object.keys(placement.headers).length ? { headers: placement.headers } : {}),
    body: bodyMode,
    origin: { openapi: doc.title, operation: operation.key },
  };
  const inputSchema: Json = {
    type: 'object',
    properties,
    ...(required.length ? { required: [...new Set(required)] } : {}),
    additionalProperties: bodyMode === 'arguments' ? additional : false,
  };
  const { title, description } = describe(operation);
  const tool: CreateToolBody = {
    name: operation.name,
    title,
    description,
    inputSchema,
    outputSchema: null,
    handler: HANDLER,
    config,
    annotations: annotationsOf(method),
  };
  return { operation, body: tool, warnings };
}
