import * as v from 'valibot';
import type { ToolDraft } from '../db/registry-store.ts';
import type { Handler } from '../handlers/define.ts';
import { AppError } from '../shared/errors.ts';
import { issuesToDetails, JsonObject, parseOrThrow } from '../shared/validation.ts';
import { validators } from './arguments.ts';
import { DEFAULT_SCHEMA_LIMITS, type SchemaLimits } from './schema-limits.ts';

export type { ToolDraft } from '../db/registry-store.ts';

/**
 * The shape of a tool definition as clients send it (POST/PUT/PATCH /tools)
 * and as seeds/ store it, and its translation into a `tools` row.
 */

/** MCP tool-name rule (spec 2025-11-25): 1–128 of A–Z a–z 0–9 _ - . */
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

export const ToolName = v.pipe(
  v.string('must be a string'),
  v.regex(TOOL_NAME, 'must be 1–128 characters of A–Z, a–z, 0–9, "_", "-" or "." (MCP tool-name rule)'),
);

const PARAMETER_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object'] as const;

/** The short form: a list of named, typed parameters. */
export const Parameter = v.strictObject({
  name: v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'must be an identifier (letters, digits, _ . -)')),
  type: v.picklist(PARAMETER_TYPES, `must be one of ${PARAMETER_TYPES.join(', ')}`),
  description: v.optional(v.string('must be a string')),
  required: v.optional(v.boolean('must be true or false')),
  enum: v.optional(v.pipe(v.array(v.unknown()), v.minLength(1, 'must not be empty'))),
  items: v.optional(JsonObject),
  default: v.optional(v.unknown()),
});
export type Parameter = v.InferOutput<typeof Parameter>;

const description = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(10_000, 'must be at most 10000 characters'),
);
const title = v.pipe(v.string('must be a string'), v.maxLength(200, 'must be at most 200 characters'));
const handlerKey = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'));

const definitionFields = {
  title: v.optional(v.nullable(title)),
  description,
  parameters: v.optional(v.array(Parameter, 'must be an array of parameters')),
  inputSchema: v.optional(JsonObject),
  outputSchema: v.optional(v.nullable(JsonObject)),
  handler: v.optional(handlerKey),
  config: v.optional(JsonObject),
  annotations: v.optional(JsonObject),
  enabled: v.optional(v.boolean('must be true or false')),
};

/** POST /tools and seed entries. Unknown fields are refused, so a typo is never silently dropped. */
export const CreateToolBody = v.strictObject({ name: ToolName, ...definitionFields });
export type CreateToolBody = v.InferOutput<typeof CreateToolBody>;

/** PUT /tools/:name — a full replacement; `name`, if sent, must match the path. */
export const ReplaceToolBody = v.strictObject({ name: v.optional(ToolName), ...definitionFields });
export type ReplaceToolBody = v.InferOutput<typeof ReplaceToolBody>;

/** PATCH /tools/:name — only the fields sent change. */
export const PatchToolBody = v.strictObject({
  title: definitionFields.title,
  description: v.optional(description),
  parameters: definitionFields.parameters,
  inputSchema: definitionFields.inputSchema,
  outputSchema: definitionFields.outputSchema,
  handler: definitionFields.handler,
  config: definitionFields.config,
  annotations: definitionFields.annotations,
  enabled: definitionFields.enabled,
});
export type PatchToolBody = v.InferOutput<typeof PatchToolBody>;

/** parameters list → JSON Schema of an object (standard semantics: extra properties allowed). */
export function parametersToJsonSchema(parameters: Parameter[]): Record<string, unknown> {
  const names = new Set<string>();
  const properties: Record<string, unknown> = {};
  parameters.forEach((parameter, index) => {
    if (names.has(parameter.name)) {
      throw new AppError('bad_request', `Invalid parameters: /parameters/${index}/name "${parameter.name}" is listed twice`, {
        details: [{ path: `/parameters/${index}/name`, message: `duplicate parameter "${parameter.name}"` }],
      });
    }
    names.add(parameter.name);
    properties[parameter.name] = {
      type: parameter.type,
      ...(parameter.description !== undefined ? { description: parameter.description } : {}),
      ...(parameter.enum !== undefined ? { enum: parameter.enum } : {}),
      ...(parameter.items !== undefined ? { items: parameter.items } : {}),
      ...(parameter.default !== undefined ? { default: parameter.default } : {}),
    };
  });
  const required = parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name);
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/**
 * Checks every tool input schema must pass: an object schema within the
 * limits (size, properties, depth) that compiles in strict mode, with
 * patterns the linear-time engine runs and references that resolve and end.
 */
export function assertUsableInputSchema(schema: Record<string, unknown>, field = '/inputSchema', limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): void {
  if (schema.type !== 'object') {
    throw new AppError('bad_request', `Invalid ${field.slice(1)}: must be the JSON Schema of an object ("type": "object")`, {
      details: [{ path: `${field}/type`, message: 'must be "object"' }],
    });
  }
  validators.get(schema, field, limits);
}

export function assertUsableOutputSchema(schema: Record<string, unknown>, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): void {
  assertUsableInputSchema(schema, '/outputSchema', limits);
}

/**
 * A handler that declares a config schema gets its `config` checked on every
 * write (400 naming the field path): the schema, then the handler's own rules
 * relating it to the input schema (checkTool). An unavailableReason (an unset
 * secret) is not a refusal: the tool is stored and listed unavailable.
 */
export function assertValidConfig(handler: Handler | undefined, config: Record<string, unknown>, inputSchema: Record<string, unknown> = {}): void {
  if (!handler?.config) return;
  const parsed = v.safeParse(handler.config, config, { abortPipeEarly: true });
  const details = parsed.success
    ? (handler.checkTool?.({ inputSchema, config: parsed.output }) ?? []).map((issue) => ({ ...issue, path: `/config${issue.path}` }))
    : issuesToDetails(parsed.issues, '/config');
  if (!details.length) return;
  throw new AppError('bad_request', `Invalid config for handler "${handler.name}": ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details });
}

function unknownHandler(key: string, handlers: ReadonlyMap<string, Handler>): AppError {
  const available = [...handlers.keys()].sort();
  return new AppError('bad_request', `Invalid handler: no handler "${key}" is loaded. Available: ${available.join(', ')}`, {
    details: [{ path: '/handler', message: `unknown handler "${key}"` }],
    extra: { availableHandlers: available },
  });
}

function resolveInputSchema(
  body: { parameters?: Parameter[] | undefined; inputSchema?: Record<string, unknown> | undefined },
  handler: Handler | undefined,
): Record<string, unknown> {
  if (body.parameters && body.inputSchema) {
    throw new AppError('bad_request', 'Invalid definition: send either "parameters" or "inputSchema", not both', {
      details: [{ path: '/parameters', message: 'conflicts with /inputSchema' }],
    });
  }
  if (body.inputSchema) return body.inputSchema;
  if (body.parameters) return parametersToJsonSchema(body.parameters);
  return handler ? handler.inputSchema : { type: 'object', properties: {} };
}

/**
 * The row a validated body stands for, with the handler's defaults filled in
 * (input schema, output schema, title, annotations) but its schemas and
 * config not yet checked: what a registry apply compares with the stored row
 * before deciding whether anything needs writing (and checking). An explicit
 * `handler` must exist; an omitted one defaults to the tool's own name.
 */
export function resolveDraft(body: CreateToolBody, handlers: ReadonlyMap<string, Handler>): ToolDraft {
  if (body.handler !== undefined && !handlers.has(body.handler)) throw unknownHandler(body.handler, handlers);
  const handlerName = body.handler ?? body.name;
  const handler = handlers.get(handlerName);
  return {
    name: body.name,
    // A handler's title names the handler's own tool; a tool bound to it under another name keeps no borrowed title.
    title: body.title === undefined ? (handlerName === body.name ? (handler?.title ?? null) : null) : body.title,
    description: body.description,
    inputSchema: resolveInputSchema(body, handler),
    outputSchema: body.outputSchema === undefined ? (handler?.outputSchema ?? null) : body.outputSchema,
    handler: handlerName,
    handlerConfig: body.config ?? {},
    annotations: body.annotations ?? handler?.annotations ?? {},
    enabled: body.enabled ?? true,
  };
}

/** The checks every written definition passes: usable schemas, the handler's config rules. */
export function checkDraft(
  draft: ToolDraft,
  handlers: ReadonlyMap<string, Handler>,
  limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS,
  inputField: '/inputSchema' | '/parameters' = '/inputSchema',
): void {
  assertUsableInputSchema(draft.inputSchema, inputField, limits);
  if (draft.outputSchema) assertUsableOutputSchema(draft.outputSchema, limits);
  assertValidConfig(handlers.get(draft.handler), draft.handlerConfig, draft.inputSchema);
}

/**
 * A validated body → the row to store (resolveDraft, then checkDraft). The
 * tool is stored even when no handler of its name is loaded (it is then
 * listed as unavailable).
 */
export function draftFromBody(body: CreateToolBody, handlers: ReadonlyMap<string, Handler>, limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS): ToolDraft {
  const draft = resolveDraft(body, handlers);
  checkDraft(draft, handlers, limits, body.parameters ? '/parameters' : '/inputSchema');
  return draft;
}

/** PATCH: apply the sent fields over the current draft and re-check the result as a whole. */
export function patchDraft(
  current: ToolDraft,
  patch: PatchToolBody,
  handlers: ReadonlyMap<string, Handler>,
  limits: SchemaLimits = DEFAULT_SCHEMA_LIMITS,
): ToolDraft {
  if (patch.handler !== undefined && !handlers.has(patch.handler)) throw unknownHandler(patch.handler, handlers);
  const next: ToolDraft = {
    ...current,
    ...(patch.title !== undefined ? { title: patch.title } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.outputSchema !== undefined ? { outputSchema: patch.outputSchema } : {}),
    ...(patch.handler !== undefined ? { handler: patch.handler } : {}),
    ...(patch.config !== undefined ? { handlerConfig: patch.config } : {}),
    ...(patch.annotations !== undefined ? { annotations: patch.annotations } : {}),
    ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
  };
  if (patch.parameters || patch.inputSchema) {
    next.inputSchema = resolveInputSchema(patch, undefined);
    assertUsableInputSchema(next.inputSchema, patch.parameters ? '/parameters' : '/inputSchema', limits);
  }
  if (next.outputSchema && patch.outputSchema) assertUsableOutputSchema(next.outputSchema, limits);
  if (patch.handler !== undefined || patch.config !== undefined || patch.parameters || patch.inputSchema) {
    assertValidConfig(handlers.get(next.handler), next.handlerConfig, next.inputSchema);
  }
  return next;
}

/**
 * Every REST body is a JSON object: valibot's object schemas also accept an
 * array (it has no unknown keys), so `[]` would otherwise pass as an empty body.
 */
export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  throw new AppError('bad_request', `Invalid ${what}: the body must be a JSON object, got ${got}`, {
    details: [{ path: '/', message: 'must be a JSON object' }],
  });
}

export function parseCreateBody(value: unknown): CreateToolBody {
  return parseOrThrow(CreateToolBody, requireObject(value, 'tool definition'), 'tool definition');
}

export function parseReplaceBody(value: unknown, name: string): CreateToolBody {
  const body = parseOrThrow(ReplaceToolBody, requireObject(value, 'tool definition'), 'tool definition');
  if (body.name !== undefined && body.name !== name) {
    throw new AppError(
      'bad_request',
      `Invalid tool definition: /name "${body.name}" does not match the tool in the path ("${name}"); tools cannot be renamed`,
      {
        details: [{ path: '/name', message: 'must match the name in the URL' }],
      },
    );
  }
  return { ...body, name };
}

/** PATCH: at least one field; `{}` (or `[]`) would change nothing, so it is refused rather than acknowledged. */
export function parsePatchBody(value: unknown): PatchToolBody {
  const patch = parseOrThrow(PatchToolBody, requireObject(value, 'tool patch'), 'tool patch');
  if (Object.values(patch).every((field) => field === undefined)) {
    const fields = Object.keys(PatchToolBody.entries).join(', ');
    throw new AppError('bad_request', `Invalid tool patch: nothing to change; send at least one of ${fields}`, {
      details: [{ path: '/', message: 'nothing to change' }],
    });
  }
  return patch;
}
