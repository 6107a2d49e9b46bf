import type { ServerSnapshot, ToolEntry } from '../../registry/registry.ts';

/** How a tool is shown on REST: its definition plus whether it can be called, and why not. */
export function toolView(entry: ToolEntry) {
  const row = entry.row;
  return {
    name: row.name,
    title: row.title,
    description: row.description,
    inputSchema: row.inputSchema,
    outputSchema: row.outputSchema,
    handler: row.handler,
    config: row.handlerConfig,
    annotations: row.annotations,
    enabled: row.enabled,
    available: entry.available,
    ...(entry.available ? {} : { reason: entry.reason }),
    version: row.version,
    id: row.id,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * GET /tools as JSON text, built once per snapshot: snapshots are replaced,
 * never changed, so a listing costs a cache lookup, not O(tools) encoding.
 */
const listCache = new WeakMap<ServerSnapshot, Buffer>();

/** Encoded bytes, so a request does not even re-encode the text. */
export function toolListJson(snapshot: ServerSnapshot): Buffer {
  let json = listCache.get(snapshot);
  if (json === undefined) {
    const tools = [...snapshot.tools.values()].sort((a, b) => (a.row.name < b.row.name ? -1 : 1)).map(toolView);
    json = Buffer.from(JSON.stringify({ server: snapshot.server.id, count: tools.length, tools }));
    listCache.set(snapshot, json);
  }
  return json;
}
