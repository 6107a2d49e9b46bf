import type { CatalogView, ToolEntry } from '../../registry/snapshot.ts';

/** How a tool is shown on REST: its definition plus whether it can be called, and why not. */
export function toolView(entry: ToolEntry) {
  const row = entry.row;
  return {
    name: entry.name,
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
 * GET /tools as JSON bytes, built once per view: views are replaced, never
 * changed, so a listing costs a cache lookup, not O(tools) encoding.
 */
const listCache = new WeakMap<CatalogView, Buffer>();

export function toolListJson(view: CatalogView): Buffer {
  let json = listCache.get(view);
  if (json === undefined) {
    const tools = [...view.tools.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(toolView);
    json = Buffer.from(JSON.stringify({ server: view.info.id, count: tools.length, tools }));
    listCache.set(view, json);
  }
  return json;
}
