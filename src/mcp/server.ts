import { ProtocolError, ProtocolErrorCode, Server, type CallToolResult } from '@modelcontextprotocol/server';
import type { AppDeps } from '../deps.ts';
import { isAppError, type AppError } from '../errors.ts';
import { callTool } from '../registry/call.ts';
import { listToolsPage } from './tool-list.ts';

/** What the MCP adapters need: the call path plus who we are. */
export type McpDeps = Pick<AppDeps, 'registry' | 'providers' | 'logger' | 'callTimeoutMs' | 'version'>;

/**
 * A low-level SDK `Server` answering tools/list and tools/call from the
 * registry snapshot. Building one is two handler registrations (~5 µs), not
 * one `registerTool` per tool, so the per-request factory of the modern leg
 * costs the same for 3 tools or 1,000.
 */
export function createMcpServer(deps: McpDeps, serverId: string): Server {
  const row = deps.registry.snapshot(serverId)?.server;
  const server = new Server(
    { name: `toolport-${serverId}`, title: row?.name ?? serverId, version: deps.version },
    {
      // listChanged: legacy sessions get notifications/tools/list_changed, and
      // the SDK only feeds subscriptions/listen streams when it is declared.
      capabilities: { tools: { listChanged: true } },
      ...(row?.description ? { instructions: row.description } : {}),
    },
  );

  server.setRequestHandler('tools/list', (request) => listToolsPage(deps.registry.snapshot(serverId), request.params?.cursor));

  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    const outputSchema = deps.registry.snapshot(serverId)?.tools.get(name)?.row.outputSchema ?? undefined;
    let result: CallToolResult;
    try {
      result = (await callTool(deps, serverId, name, args ?? {}, { signal: ctx.mcpReq.signal })) as CallToolResult;
    } catch (error) {
      result = failureResult(deps, serverId, name, error);
    }
    // The SDK's era codec owns the wire shape of results (e.g. the 2025 `{result: …}` wrap).
    return server.projectCallToolResult(result, outputSchema as Record<string, unknown> | undefined);
  });

  return server;
}

/**
 * Argument problems become one line per field path ("/arguments/symbol: must
 * be string"), the form a model can act on; other failures keep their message.
 */
function describe(error: AppError, tool: string): string {
  if (error.code !== 'bad_request' || !error.details?.length) return error.message;
  return [`Invalid arguments for tool "${tool}":`, ...error.details.map((detail) => `${detail.path}: ${detail.message}`)].join('\n');
}

/**
 * The MCP rule: what the model can fix (its arguments, a failing handler, a
 * timeout) is a tool result with isError, so it is shown to the model; a tool
 * that is not there is a protocol error, as is anything unexpected.
 */
export function failureResult(deps: McpDeps, serverId: string, tool: string, error: unknown): CallToolResult {
  if (isAppError(error)) {
    switch (error.code) {
      case 'bad_request':
      case 'handler_failed':
      case 'timeout':
        return { content: [{ type: 'text', text: describe(error, tool) }], isError: true };
      case 'not_found':
      case 'unavailable':
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
    }
  }
  deps.logger.error('mcp tools/call failed', { server: serverId, tool, error: (error as Error)?.message ?? String(error) });
  throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error; see the server log');
}
