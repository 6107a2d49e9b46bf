import * as v from 'valibot';
import type { ServerRow, ToolRow } from '../db/schema.ts';
import type { Handler } from '../handlers/define.ts';
import { issuesToDetails } from '../shared/validation.ts';
import { LayeredMap } from './layered-map.ts';
import { areSchemasChecked } from './row-validators.ts';

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

  /** Whether the input and output schemas are known to compile (the background check or a first call found out). */
  get schemaChecked(): boolean {
    return areSchemasChecked(this.row);
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
  /** Every tool (available or not), sorted by name: REST lists page through it. */
  readonly ordered: readonly ToolEntry[];
  /** Callable tools only, sorted by name. */
  readonly available: readonly AvailableTool[];
  /** Who answers: the MCP server info and /info are built from it. */
  readonly info: { id: string; name: string; description: string };
}

export interface ServerSnapshot extends CatalogView {
  readonly server: ServerRow;
}

/**
 * The reason a row's `handler_config` makes it unusable, or the parsed config
 * when it is usable: it parses, passes the handler's checkTool against the
 * row's input schema, and the handler has no unavailableReason for it (an
 * unset secret).
 */
export function parseHandlerConfig(handler: Handler, config: unknown, inputSchema: Record<string, unknown> = {}): { config: unknown } | { reason: string } {
  if (!handler.config) return { config: config ?? {} };
  const parsed = v.safeParse(handler.config, config ?? {}, { abortPipeEarly: true });
  if (!parsed.success) {
    const details = issuesToDetails(parsed.issues, '/handler_config');
    return { reason: `handler_config: ${details.map((detail) => `${detail.path} ${detail.message}`).join('; ')}` };
  }
  const issues = handler.checkTool?.({ inputSchema, config: parsed.output }) ?? [];
  if (issues.length) return { reason: `handler_config: ${issues.map((issue) => `/handler_config${issue.path} ${issue.message}`).join('; ')}` };
  const unavailable = handler.unavailableReason?.(parsed.output);
  if (unavailable) return { reason: `handler_config: ${unavailable}` };
  return { config: parsed.output };
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
  if (same && !previous!.available && /^(input|output)_schema/.test(previous!.reason)) {
    return new UnavailableTool(row.name, row, previous!.reason, handler, true);
  }
  const config = parseHandlerConfig(handler, row.handlerConfig, row.inputSchema as Record<string, unknown>);
  if ('reason' in config) return new UnavailableTool(row.name, row, config.reason, handler, true);
  return new AvailableTool(row.name, row, handler, config.config);
}

const byName = (a: ToolEntry, b: ToolEntry) => (a.name < b.name ? -1 : 1);

/** A snapshot built from all of a server's tools (a load). */
export function makeSnapshot(server: ServerRow, revision: number, tools: Map<string, ToolEntry>): ServerSnapshot {
  const ordered = [...tools.values()].sort(byName);
  const available = ordered.filter((entry): entry is AvailableTool => entry.available);
  return { server, revision, tools, ordered, available, info: { id: server.id, name: server.name, description: server.description } };
}

/** Index of the first entry whose name sorts at or after `name`. */
function lowerBound(list: readonly ToolEntry[], name: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]!.name < name) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** `list` with the entry named `name` replaced by `entry` (or removed when undefined), order kept. */
function withEntry<T extends ToolEntry>(list: readonly T[], name: string, entry: T | undefined): T[] {
  const at = lowerBound(list, name);
  const present = list[at]?.name === name;
  if (!entry && !present) return list as T[];
  // Slices joined by concat keep a packed array (splice into a large copy was measured ~20× slower).
  const head = list.slice(0, at);
  const tail = list.slice(present ? at + 1 : at);
  return entry ? head.concat([entry], tail) : head.concat(tail);
}

/**
 * The next snapshot after a few tools changed (a write, a re-read of named
 * tools): the sorted lists are updated by binary search instead of re-sorted,
 * so a write to a 10,000-tool registry costs a copy, not a sort and rebuild.
 * `changes` maps a name to its new entry, or to undefined when it was removed.
 */
export function patchSnapshot(previous: ServerSnapshot, revision: number, changes: ReadonlyMap<string, ToolEntry | undefined>): ServerSnapshot {
  const tools = LayeredMap.of(previous.tools).with(changes);
  let ordered: readonly ToolEntry[] = previous.ordered;
  let available: readonly AvailableTool[] = previous.available;
  for (const [name, entry] of changes) {
    ordered = withEntry(ordered, name, entry);
    if (entry?.available || previous.tools.get(name)?.available) available = withEntry(available, name, entry?.available ? entry : undefined);
  }
  return { ...previous, revision, tools, ordered, available };
}
