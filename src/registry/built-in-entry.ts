import { createHash } from 'node:crypto';
import type { ToolRow } from '../db/schema.ts';
import type { Handler } from '../handlers/define.ts';
import { AvailableTool } from './snapshot.ts';

/** A tool defined in code rather than by a row: the management tools and the search tools of the gateway's /mcp. */
export interface BuiltInTool {
  handler: Handler;
  /** The name it is listed under (the handler's name when omitted). */
  name?: string;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown> | undefined;
  annotations: Record<string, unknown>;
}

/** When the process started: the version and timestamps of rows that no one wrote. */
const STARTED = new Date();

/**
 * The entry of a built-in tool, with the row it would have, so every
 * adapter (lists, the fast path, the call path's schema checks, audit)
 * handles it like any tool. The row is not in the database: its id says so.
 */
export function builtInEntry(serverId: string, tool: BuiltInTool): AvailableTool {
  const name = tool.name ?? tool.handler.name;
  const hash = createHash('sha256').update(`${serverId}/${name}`).digest('hex');
  const row: ToolRow = {
    // A v4-shaped uuid derived from the name (stable across restarts), never one the database hands out.
    id: `${hash.slice(0, 8)}-${hash.slice(8, 12)}-4${hash.slice(13, 16)}-8${hash.slice(17, 20)}-${hash.slice(20, 32)}`,
    serverId,
    name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema ?? null,
    handler: tool.handler.name,
    handlerConfig: {},
    annotations: tool.annotations,
    enabled: true,
    version: 1,
    rateLimit: null,
    createdAt: STARTED,
    updatedAt: STARTED,
  };
  return new AvailableTool(name, row, tool.handler, {});
}
