import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import type { Providers } from '../providers/index.ts';
import type { FieldIssue } from '../shared/errors.ts';
import type { ToolResult } from './result.ts';

export type JsonObject = Record<string, unknown>;

/** What a handler receives besides its parsed input. */
export interface HandlerContext<C = JsonObject> {
  /** The server (port) the tool belongs to. */
  serverId: string;
  /** The tool being called (several tools may share one handler). */
  toolName: string;
  /**
   * The tool row's `handler_config`: parsed by the handler's `config` schema
   * when it declares one (checked on every write and when the row is loaded),
   * the stored JSON object otherwise.
   */
  config: C;
  /**
   * Aborted when the call times out, the client goes away or the server shuts
   * down. A getter: the signal is made when first read, so pass `ctx` or
   * `ctx.signal` on — a spread copy (`{ ...ctx }`) does not carry it.
   */
  readonly signal: AbortSignal;
  /** Data sources for handlers that need outside data (chosen by configuration at start). */
  providers: Providers;
  /** Who is calling, as far as it is known (an API key's id once access control sets it); the `sql` kind passes it to toolport.caller. */
  caller?: string;
  /** The request's id (its X-Request-Id, the audit entry's request_id): for the handler's log lines and outbound requests (`http` tools send it as X-Request-Id). */
  requestId?: string | undefined;
}

const TOOL_INPUT_ERROR = Symbol.for('toolport.ToolInputError');

/**
 * A failure the caller can fix (unknown time zone, unknown ticker): reported as
 * a bad request on REST and as an `isError` result on MCP, never as a crash.
 */
export class ToolInputError extends Error {
  readonly path: string;
  readonly [TOOL_INPUT_ERROR] = true;
  constructor(message: string, path = '/') {
    super(message);
    this.name = 'ToolInputError';
    this.path = path;
  }

  /**
   * By brand, not by class: a handler module outside the tree imports
   * `toolport` from source (through tsx) while the server may run the
   * compiled build, so its ToolInputError is another class of the same name.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TOOL_INPUT_ERROR] === true;
  }
}

/** A JSON object (text block + structuredContent) or a full CallToolResult made with toolResult(). */
export type HandlerResult = JsonObject | ToolResult;

/** Where a handler's `run` executes (see HandlerSpec.runs). */
export type HandlerPlacement = 'inline' | 'worker';

/** What a handler's `checkTool` sees of a tool: its stored input schema and its config as the `config` schema parsed it. */
export interface ToolUnderCheck<C = unknown> {
  inputSchema: JsonObject;
  config: C;
}

type ConfigOf<C> = C extends v.GenericSchema ? v.InferOutput<C> : JsonObject;

export interface HandlerSpec<I extends v.GenericSchema, O extends v.GenericSchema | undefined, C extends v.GenericSchema | undefined> {
  /** The handler key stored in `tools.handler`. */
  name: string;
  /** Default description for a tool bound to this handler. */
  description: string;
  /** Default title. */
  title?: string;
  /** The handler's own input schema: arguments are parsed with it before `run`. */
  input: I;
  /**
   * The schema shown to clients instead of `input`'s (a tool's default
   * `input_schema`), when `input`'s JSON Schema has shapes that common client
   * adapters misread — a oneOf/anyOf of objects, which LangChain's MCP adapter
   * collapses into its last branch. Looser than `input`: every call is still
   * parsed with `input`, which names what is wrong.
   */
  advertised?: v.GenericSchema;
  /** Optional output schema: results then also travel as `structuredContent` with a declared schema. */
  output?: O;
  /** Optional schema of the tool row's `handler_config`; a row whose config does not parse is unavailable. */
  config?: C;
  /** Default MCP annotations (readOnlyHint, openWorldHint …). */
  annotations?: JsonObject;
  /**
   * Where `run` executes. `'inline'` (the default): on the event loop, for
   * handlers that mostly wait (I/O, providers). `'worker'`: in the pool of
   * worker threads (TOOLPORT_CPU_WORKERS), for CPU work on the caller's input,
   * so one large call can neither delay other calls nor outlive its deadline
   * (the thread is terminated and replaced). A worker handler gets its
   * arguments and `handler_config` by structured clone and parses them there;
   * it has no `ctx.providers` and no database; its result comes back by
   * structured clone (plain JSON or a toolResult()). In a handler module
   * (TOOLPORT_HANDLERS_DIR) the default is `'worker'` (no `module` needed:
   * the loader knows the file); say `'inline'` to stay on the event loop.
   */
  runs?: HandlerPlacement;
  /**
   * With `runs: 'worker'`: the URL of the module that exports this handler
   * (`import.meta.url` in the handler's file). A worker imports it and takes
   * the export whose handler `name` is this one.
   */
  module?: string;
  /**
   * Optional rules relating the parsed config to the tool's input schema (an
   * URL placeholder must name a property …), beyond what the `config` schema
   * expresses: checked on every write (400, paths under /config) and when the
   * row is loaded (unavailable with the reason). Paths are relative to the
   * config ("/url").
   */
  checkTool?(tool: ToolUnderCheck<ConfigOf<C>>): FieldIssue[];
  /**
   * Optional: why a tool with this parsed config cannot be called in this
   * process now (an unset secret …). Checked when the row is loaded only —
   * a write is accepted (another replica's environment may differ) and the
   * tool is listed unavailable with the reason.
   */
  unavailableReason?(config: ConfigOf<C>): string | undefined;
  run(input: v.InferOutput<I>, ctx: HandlerContext<ConfigOf<C>>): Promise<HandlerResult> | HandlerResult;
}

export interface Handler {
  name: string;
  description: string;
  title: string | undefined;
  input: v.GenericSchema;
  /** JSON Schema (2020-12) derived from `input`: a tool's default `input_schema`. */
  inputSchema: JsonObject;
  outputSchema: JsonObject | undefined;
  /** valibot schema of `handler_config`, when the handler reads its config. */
  config: v.GenericSchema | undefined;
  /** JSON Schema of `handler_config` (for clients building forms), when declared. */
  configSchema: JsonObject | undefined;
  annotations: JsonObject;
  /** 'worker': the call path runs it in the CPU pool (registry/worker-pool.ts), loading `module`. */
  runs: HandlerPlacement;
  /** The module exporting the handler, for `runs: 'worker'`. */
  module: string | undefined;
  /** Whether the spec said `runs` (a handler module's handler without it defaults to the worker pool). */
  runsDeclared?: boolean;
  /** See HandlerSpec.checkTool. */
  checkTool?: ((tool: ToolUnderCheck) => FieldIssue[]) | undefined;
  /** See HandlerSpec.unavailableReason. */
  unavailableReason?: ((config: unknown) => string | undefined) | undefined;
  run(input: unknown, ctx: HandlerContext<unknown>): Promise<HandlerResult>;
}

function jsonSchemaOf(schema: v.GenericSchema): JsonObject {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'throw' }) as JsonObject;
  return rest;
}

export function defineHandler<I extends v.GenericSchema, O extends v.GenericSchema | undefined = undefined, C extends v.GenericSchema | undefined = undefined>(
  spec: HandlerSpec<I, O, C>,
): Handler {
  const runs = spec.runs ?? 'inline';
  if (runs !== 'inline' && runs !== 'worker') throw new Error(`handler "${spec.name}": runs must be 'inline' or 'worker', got ${JSON.stringify(runs)}`);
  if (runs === 'worker' && !(typeof spec.module === 'string' && URL.canParse(spec.module))) {
    throw new Error(`handler "${spec.name}" runs in a worker: give it module: import.meta.url (the URL of the module that exports it)`);
  }
  return {
    name: spec.name,
    description: spec.description,
    title: spec.title,
    input: spec.input,
    inputSchema: jsonSchemaOf(spec.advertised ?? spec.input),
    outputSchema: spec.output ? jsonSchemaOf(spec.output) : undefined,
    config: spec.config,
    configSchema: spec.config ? jsonSchemaOf(spec.config) : undefined,
    annotations: spec.annotations ?? {},
    runs,
    module: runs === 'worker' ? spec.module : undefined,
    runsDeclared: spec.runs !== undefined,
    ...(spec.checkTool ? { checkTool: spec.checkTool as (tool: ToolUnderCheck) => FieldIssue[] } : {}),
    ...(spec.unavailableReason ? { unavailableReason: spec.unavailableReason as (config: unknown) => string | undefined } : {}),
    run: async (input, ctx) => spec.run(input as v.InferOutput<I>, ctx as never),
  };
}
