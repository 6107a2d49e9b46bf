import * as v from 'valibot';
import type { ServerRow, ToolRow } from '../db/schema.ts';
import type { Handler } from '../handlers/define.ts';
import { issuesToDetails } from '../shared/validation.ts';
import { isInputSchemaChecked } from './arguments.ts';

/**
 * What the registry publishes: one immutable snapshot per server, replaced
 * whole on every change (so it is its own cache key), holding one entry per
 * tool. An entry is either callable — with its handler and parsed config —
 * or not, with the reason; the type says which.
 */

abstract class EntryBase {
  constructor(
    /** The name the tool is reached by here (its row's name on a server's own catalog). */
    readonly name: string,
    readonly row: ToolRow,
  ) {}

  /** Whether the input schema is known to compile (the background check or a first call found out). */
  get schemaChecked(): boolean {
    return isInputSchemaChecked(this.row);
  }
}

export class AvailableTool extends EntryBase {
  readonly available = true as const;
  readonly reason = undefined;

  constructor(
    name: string,
    row: ToolRow,
    readonly handler: Handler,
    /** `handler_config` as the handler's config schema parsed it (the stored object when it declares none). */
    readonly config: unknown,
  ) {
    super(name, row);
  }
}

export class UnavailableTool extends EntryBase {
  readonly available = false as const;

  constructor(
    name: string,
    row: ToolRow,
    /** Why it cannot be called: "disabled", a missing handler, a bad schema or config. */
    readonly reason: string,
    readonly handler: Handler | undefined,
    private readonly checked = false,
  ) {
    super(name, row);
  }

  override get schemaChecked(): boolean {
    return this.checked || super.schemaChecked;
  }
}

export type ToolEntry = AvailableTool | UnavailableTool;

/** What every view of tools offers its adapters (a server's snapshot; later an aggregate of several). */
export interface CatalogView {
  /** Increases on every change of the tools seen here (per process). */
  readonly revision: number;
  /** Every tool, by the name it is reached by. */
  readonly tools: ReadonlyMap<string, ToolEntry>;
  /** Callable tools only, sorted by name. */
  readonly available: readonly AvailableTool[];
  /** Who answers: the MCP server info and /info are built from it. */
  readonly info: { id: string; name: string; description: string };
}

export interface ServerSnapshot extends CatalogView {
  readonly server: ServerRow;
}

/** The reason a row's `handler_config` makes it unusable, or undefined (with the parsed config) when it parses. */
export function parseHandlerConfig(handler: Handler, config: unknown): { config: unknown } | { reason: string } {
  if (!handler.config) return { config: config ?? {} };
  const parsed = v.safeParse(handler.config, config ?? {}, { abortPipeEarly: true });
  if (parsed.success) return { config: parsed.output };
  const details = issuesToDetails(parsed.issues, '/handler_config');
  return { reason: `handler_config: ${details.map((detail) => `${detail.path} ${detail.message}`).join('; ')}` };
}

export function sameVersion(entry: ToolEntry | undefined, row: ToolRow): boolean {
  return entry !== undefined && entry.row.id === row.id && entry.row.version === row.version;
}

function isObjectSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'object';
}

/**
 * The entry for a row. A re-read of an unchanged row (same id and version)
 * keeps the previous row object, so what is memoized per row (compiled
 * validators, the schema check) survives, and keeps a schema failure found earlier.
 */
export function buildEntry(fresh: ToolRow, handlers: ReadonlyMap<string, Handler>, previous: ToolEntry | undefined): ToolEntry {
  const same = sameVersion(previous, fresh);
  const row = same ? previous!.row : fresh;
  const handler = handlers.get(row.handler);
  if (!row.enabled) return new UnavailableTool(row.name, row, 'disabled', handler);
  if (!handler) return new UnavailableTool(row.name, row, `no handler "${row.handler}" is loaded`, undefined);
  if (!isObjectSchema(row.inputSchema)) {
    return new UnavailableTool(row.name, row, 'input_schema is not the JSON Schema of an object ("type": "object")', handler, true);
  }
  if (same && !previous!.available && previous!.reason.startsWith('input_schema')) {
    return new UnavailableTool(row.name, row, previous!.reason, handler, true);
  }
  const config = parseHandlerConfig(handler, row.handlerConfig);
  if ('reason' in config) return new UnavailableTool(row.name, row, config.reason, handler, true);
  return new AvailableTool(row.name, row, handler, config.config);
}

export function makeSnapshot(server: ServerRow, revision: number, tools: Map<string, ToolEntry>): ServerSnapshot {
  const available = [...tools.values()].filter((entry): entry is AvailableTool => entry.available).sort((a, b) => (a.name < b.name ? -1 : 1));
  return { server, revision, tools, available, info: { id: server.id, name: server.name, description: server.description } };
}
