import type { AvailableTool } from '../../registry/snapshot.ts';
import { ERROR_RESPONSES, errorResponse, RESPONSES, ref, SCHEMAS } from './components.ts';
import { type JsonSchema, requestSchema } from './json-schema.ts';
import { isValibot, type OperationSpec } from './operation.ts';
import { CHANGE_OPERATIONS } from './operations-changes.ts';
import { MCP_OPERATIONS } from './operations-mcp.ts';
import { PROCESS_OPERATIONS, PUBLIC_OPERATIONS } from './operations-process.ts';
import { TOOL_OPERATIONS } from './operations-tools.ts';
import { UI_OPERATIONS } from './operations-ui.ts';
import { UPSTREAM_OPERATIONS } from './operations-upstreams.ts';

/** Every operation a listener may serve, in the order the document lists them. */
export const OPERATIONS: readonly OperationSpec[] = [
  ...PUBLIC_OPERATIONS,
  ...TOOL_OPERATIONS,
  ...CHANGE_OPERATIONS,
  ...MCP_OPERATIONS,
  ...PROCESS_OPERATIONS,
  ...UPSTREAM_OPERATIONS,
  ...UI_OPERATIONS,
];

export interface DocumentShape {
  /** The server (or `toolport` for the gateway's root) whose routes these are. */
  server: string;
  title: string;
  version: string;
  /** Where the routes are mounted (`/finance` on the gateway), '' on a server's own port. */
  prefix: string;
  /** The optional routes this listener serves. */
  features: ReadonlySet<NonNullable<OperationSpec['feature']>>;
  /** GET /metrics needs no credential (TOOLPORT_METRICS_OPEN=1). */
  metricsOpen: boolean;
}

const INTEGER_PARAMETERS = new Set(['version']);

/** `get /tools/{name}/revisions` → `getToolsByNameRevisions`. */
function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      const parameter = /^\{(.+)\}$/.exec(segment);
      const word = (parameter ? `by-${parameter[1]}` : segment).replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase());
      return word.charAt(0).toUpperCase() + word.slice(1);
    });
  return method + (words.join('') || 'Index');
}

/** A tool's arguments schema, its `#…` references pointing at where it now sits in the document. */
function relocated(schema: unknown, base: string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => relocated(item, base));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#') ? `${base}${value.slice(1)}` : relocated(value, base);
  }
  return out;
}

/** The /tools/call body of each callable tool: `{"name": <its name>, "arguments": <its inputSchema>}`. */
function callSchemas(tools: readonly AvailableTool[]): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {};
  for (const tool of tools) {
    const key = `call.${tool.name}`;
    schemas[key] = {
      type: 'object',
      title: tool.name,
      description: tool.row.description,
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', const: tool.name },
        arguments: relocated(tool.row.inputSchema, `#/components/schemas/${key}/properties/arguments`),
      },
    };
  }
  return schemas;
}

function errorStatuses(spec: OperationSpec): string[] {
  const statuses = new Set(spec.errors ?? []);
  if (spec.body || spec.query) statuses.add('400');
  if (spec.body) for (const status of ['400', '413', '415']) statuses.add(status);
  if (spec.path.includes('{')) statuses.add('404');
  if (spec.access !== 'public') for (const status of ['401', '403']) statuses.add(status);
  if (spec.access === 'write' || spec.access === 'admin') statuses.add('503');
  if (spec.ifMatch) statuses.add('412');
  return [...statuses].filter((status) => status in ERROR_RESPONSES).sort();
}

function operationObject(spec: OperationSpec, shape: DocumentShape, callBody: JsonSchema | undefined) {
  const isPublic = spec.access === 'public' || (spec.feature === 'metrics' && shape.metricsOpen);
  const parameters: unknown[] = [...spec.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: INTEGER_PARAMETERS.has(name!) ? { type: 'integer', minimum: 1 } : { type: 'string' },
  }));
  parameters.push(...(spec.query ?? []));
  if (spec.ifMatch) {
    parameters.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'Write only over this version (its ETag, "3")',
      schema: { type: 'string' },
    });
  }
  const okContent = { [spec.ok.mediaType ?? 'application/json']: { schema: spec.ok.schema ?? ref('Object') } };
  const operation: Record<string, unknown> = {
    operationId: operationId(spec.method, spec.path),
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    security: isPublic ? [] : [{ bearer: [] }],
    ...(parameters.length ? { parameters } : {}),
    responses: {
      [spec.ok.status]: { description: spec.ok.description, content: okContent },
      ...Object.fromEntries(errorStatuses(spec).map((status) => [status, errorResponse(status)])),
    },
  };
  if (spec.body) {
    const schema = (spec.callBody && callBody) || (isValibot(spec.body.schema) ? requestSchema(spec.body.schema) : spec.body.schema);
    operation.requestBody = {
      required: true,
      ...(spec.body.description ? { description: spec.body.description } : {}),
      content: Object.fromEntries((spec.body.mediaTypes ?? ['application/json']).map((type) => [type, { schema }])),
    };
  }
  return operation;
}

/**
 * The OpenAPI 3.1 document of one listener's REST API: every route it
 * serves, each request body as the valibot schema its route parses it with,
 * and the /tools/call body as a oneOf of the tools `tools` holds (the ones
 * the caller can see and call), keyed by name.
 */
export function openApiDocument(shape: DocumentShape, tools: readonly AvailableTool[] | undefined): Record<string, unknown> {
  const calls = tools?.length ? callSchemas(tools) : {};
  const names = Object.keys(calls);
  const callBody = names.length
    ? {
        oneOf: names.map((name) => ref(name)),
        discriminator: { propertyName: 'name', mapping: Object.fromEntries(names.map((name) => [name.slice('call.'.length), `#/components/schemas/${name}`])) },
      }
    : undefined;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of OPERATIONS) {
    if (spec.feature && !shape.features.has(spec.feature)) continue;
    paths[spec.path] ??= {};
    paths[spec.path]![spec.method] = operationObject(spec, shape, callBody);
  }
  const tags = [...new Set(OPERATIONS.map((spec) => spec.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: shape.title,
      version: shape.version,
      description:
        'Toolport serves MCP tool definitions kept in Postgres, live, over REST and MCP. Every error body has the same envelope (ErrorBody): code, message, server, requestId, timestamp.',
    },
    servers: [{ url: shape.prefix || '/', description: shape.prefix ? `The gateway path of ${shape.server}` : `The port of ${shape.server}` }],
    tags,
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'The admin token (TOOLPORT_ADMIN_TOKEN), an API key (tp_…) or an OAuth access token. Without any key configured, requests from loopback need none (local-open).',
        },
      },
      schemas: { ...SCHEMAS, ...calls },
      responses: RESPONSES,
    },
  };
}
