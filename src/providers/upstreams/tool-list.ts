import type { Client } from '@modelcontextprotocol/client';
import type { UpstreamTool } from './types.ts';

/** Most pages read from one upstream's tools/list (a guard against a server that never ends its cursor). */
const MAX_PAGES = 100;

/** An upstream's whole tool list: every page, each tool as the sync stores it. */
export async function readToolList(client: Client, timeoutMs: number): Promise<UpstreamTool[]> {
  const tools: UpstreamTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
    for (const tool of result.tools) {
      tools.push({
        name: tool.name,
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema as Record<string, unknown>,
        outputSchema: tool.outputSchema as Record<string, unknown> | undefined,
        annotations: tool.annotations as Record<string, unknown> | undefined,
      });
    }
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

/** The tools whose input schema declares `x-mcp-header` parameters (the SDK client sends their `Mcp-Param-*` headers, so it calls them). */
export function toolsWithParamHeaders(tools: readonly UpstreamTool[]): Set<string> {
  return new Set(tools.filter((tool) => JSON.stringify(tool.inputSchema ?? {}).includes('"x-mcp-header"')).map((tool) => tool.name));
}
