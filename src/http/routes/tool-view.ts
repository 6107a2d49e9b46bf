import type { ToolEntry } from '../../registry/snapshot.ts';

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
