import { ProtocolError, ProtocolErrorCode, type Tool } from '@modelcontextprotocol/server';
import type { CatalogView, ToolEntry } from '../registry/snapshot.ts';
import { decodeNameCursor, encodeNameCursor, indexAfterName } from '../shared/name-cursor.ts';

/**
 * tools/list straight from the registry view. The MCP shape of every
 * available tool is built once per view (a view is replaced, never
 * changed, so it is its own cache key) and frozen, so a request costs a
 * slice, not O(tools) object building; the SDK only reads these objects.
 */

/** Tools per page: a 1,000-tool registry (~244 KB of JSON) goes out in a few bounded responses. */
export const TOOLS_PAGE_SIZE = 250;

interface ToolListCache {
  tools: readonly Tool[];
  names: readonly string[];
}

const cache = new WeakMap<CatalogView, ToolListCache>();

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The MCP Tool for a registry entry; columns that are unset are left out, not sent as null. */
export function toMcpTool(entry: ToolEntry): Tool {
  const row = entry.row;
  const tool: Record<string, unknown> = { name: entry.name };
  if (row.title) tool.title = row.title;
  tool.description = row.description;
  // structuredClone: the row stays the registry's; the frozen copy is ours
  tool.inputSchema = structuredClone(row.inputSchema);
  if (row.outputSchema) tool.outputSchema = structuredClone(row.outputSchema);
  if (row.annotations && !isEmptyObject(row.annotations)) tool.annotations = structuredClone(row.annotations);
  return deepFreeze(tool) as Tool;
}

function toolsOf(view: CatalogView): ToolListCache {
  let cached = cache.get(view);
  if (!cached) {
    const tools = view.available.map(toMcpTool);
    cached = { tools, names: tools.map((tool) => tool.name) };
    cache.set(view, cached);
  }
  return cached;
}

export const encodeCursor = encodeNameCursor;

function decodeCursor(cursor: string): string {
  const name = decodeNameCursor(cursor);
  if (name === undefined) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid cursor: pass the nextCursor of a previous tools/list result unchanged');
  }
  return name;
}

export function listToolsPage(view: CatalogView | undefined, cursor: string | undefined, pageSize = TOOLS_PAGE_SIZE): { tools: Tool[]; nextCursor?: string } {
  if (!view) return { tools: [] };
  const { tools, names } = toolsOf(view);
  const start = cursor === undefined ? 0 : indexAfterName(names.length, (index) => names[index]!, decodeCursor(cursor));
  const end = Math.min(start + pageSize, tools.length);
  const page = tools.slice(start, end);
  return end < tools.length ? { tools: page, nextCursor: encodeCursor(names[end - 1]!) } : { tools: page };
}
