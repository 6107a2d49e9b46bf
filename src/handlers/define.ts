import * as v from 'valibot';
import { toJsonSchema } from '@valibot/to-json-schema';
import type { Providers } from '../providers/index.ts';

/** What a handler receives besides its parsed input. */
export interface HandlerContext {
  /** The server (port) the tool belongs to. */
  serverId: string;
  /** The tool being called (several tools may share one handler). */
  toolName: string;
  /** The tool row's `handler_config` (free-form JSON, validated by the handler if it uses it). */
  config: Record<string, unknown>;
  /** Aborted when the call times out or the server shuts down. */
  signal: AbortSignal;
  /** Data sources for handlers that need outside data (chosen by configuration at start). */
  providers: Providers;
}

/**
 * A failure the caller can fix (unknown time zone, unknown ticker): reported as
 * a bad request on REST and as an `isError` result on MCP, never as a crash.
 */
export class ToolInputError extends Error {
  readonly path: string;
  constructor(message: string, path = '/') {
    super(message);
    this.name = 'ToolInputError';
    this.path = path;
  }
}

export type JsonObject = Record<string, unknown>;

export interface HandlerSpec<I extends v.GenericSchema, O extends v.GenericSchema | undefined> {
  /** The handler key stored in `tools.handler`. */
  name: string;
  /** Default description for a tool bound to this handler. */
  description: string;
  /** Default title. */
  title?: string;
  /** The handler's own input schema: arguments are parsed with it before `run`. */
  input: I;
  /** Optional output schema: results then also travel as `structuredContent` with a declared schema. */
  output?: O;
  /** Default MCP annotations (readOnlyHint, openWorldHint …). */
  annotations?: JsonObject;
  run(input: v.InferOutput<I>, ctx: HandlerContext): Promise<JsonObject> | JsonObject;
}

export interface Handler {
  name: string;
  description: string;
  title: string | undefined;
  input: v.GenericSchema;
  /** JSON Schema (2020-12) derived from `input`: a tool's default `input_schema`. */
  inputSchema: JsonObject;
  outputSchema: JsonObject | undefined;
  annotations: JsonObject;
  run(input: unknown, ctx: HandlerContext): Promise<JsonObject>;
}

function jsonSchemaOf(schema: v.GenericSchema): JsonObject {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'throw' }) as JsonObject;
  return rest;
}

export function defineHandler<I extends v.GenericSchema, O extends v.GenericSchema | undefined = undefined>(
  spec: HandlerSpec<I, O>,
): Handler {
  return {
    name: spec.name,
    description: spec.description,
    title: spec.title,
    input: spec.input,
    inputSchema: jsonSchemaOf(spec.input),
    outputSchema: spec.output ? jsonSchemaOf(spec.output) : undefined,
    annotations: spec.annotations ?? {},
    run: async (input, ctx) => spec.run(input as v.InferOutput<I>, ctx),
  };
}
