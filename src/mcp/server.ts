import { type CallToolResult, ProtocolError, ProtocolErrorCode, Server as SdkServer } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.ts';
import type { ToolCaller } from '../registry/call.ts';
import { CallResult } from '../registry/call-result.ts';
import type { ToolCatalog } from '../registry/catalog.ts';
import { type AppError, isAppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { FORBIDDEN, RATE_LIMITED } from './jsonrpc.ts';
import { listToolsPage } from './tool-list.ts';

/** Who is asking, as /mcp hands it to the SDK (`authInfo.extra`); absent on stdio, the local user. */
export interface CallerInfo {
  principal?: Principal | undefined;
  requestId?: string | undefined;
}

/** The caller that route.ts put into the request's authInfo (see authInfoOf in endpoint.ts). */
export function callerOf(ctx: { http?: { authInfo?: { extra?: Record<string, unknown> } } }): CallerInfo {
  const extra = ctx.http?.authInfo?.extra;
  if (!extra) return {};
  return { principal: extra.principal as Principal | undefined, requestId: extra.requestId as string | undefined };
}

/** What the MCP adapters need: the catalog, the call path, and who we are. */
export interface McpServerDeps {
  catalog: ToolCatalog;
  caller: ToolCaller;
  logger: Logger;
  version: string;
}

/**
 * A low-level SDK `Server` answering tools/list and tools/call from the
 * catalog. Building one is two handler registrations (~5 µs), not one
 * `registerTool` per tool, so the per-request factory of the modern leg
 * costs the same for 3 tools or 1,000.
 */
export function createMcpServer(deps: McpServerDeps): SdkServer {
  const { catalog, caller } = deps;
  const info = catalog.view()?.info;
  const sdkServer = new SdkServer(
    { name: `toolport-${info?.id ?? 'unknown'}`, title: info?.name ?? info?.id ?? 'Toolport', version: deps.version },
    {
      // listChanged: legacy sessions get notifications/tools/list_changed, and
      // the SDK only feeds subscriptions/listen streams when it is declared.
      capabilities: { tools: { listChanged: true } },
      ...(info?.description ? { instructions: info.description } : {}),
    },
  );

  sdkServer.setRequestHandler('tools/list', (request) => listToolsPage(catalog.view(), request.params?.cursor));

  sdkServer.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    const outputSchema = catalog.resolve(name)?.row.outputSchema ?? undefined;
    let result: CallResult;
    try {
      const { principal, requestId } = callerOf(ctx);
      result = await caller.call(catalog, name, args ?? {}, { signal: ctx.mcpReq.signal, principal, requestId });
    } catch (error) {
      result = failureResult(deps.logger, catalog, name, error);
    }
    // The SDK's era codec owns the wire shape of results (e.g. the 2025 `{result: …}` wrap).
    return sdkServer.projectCallToolResult(result.value as CallToolResult, outputSchema as Record<string, unknown> | undefined);
  });

  return sdkServer;
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
 * that is not there is a protocol error, as is anything unexpected. Access
 * refusals are protocol errors with their own codes and what a client needs
 * in `data`: the scope it lacks, or when to retry.
 */
export function failureResult(logger: Logger, catalog: ToolCatalog, tool: string, error: unknown): CallResult {
  if (isAppError(error)) {
    switch (error.code) {
      case 'bad_request':
      case 'handler_failed':
      case 'timeout':
        return CallResult.ofError(describe(error, tool));
      case 'not_found':
      case 'unavailable':
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
      case 'forbidden':
        throw new ProtocolError(FORBIDDEN, error.message, { scope: error.extra?.scope });
      case 'rate_limited': {
        const extra = error.extra ?? {};
        throw new ProtocolError(RATE_LIMITED, error.message, {
          retryAfterMs: extra.retryAfterMs,
          retryAfterSeconds: extra.retryAfterSeconds,
          limit: extra.limit,
        });
      }
    }
  }
  logger.error('mcp tools/call failed', { catalog: catalog.label, tool, error: (error as Error)?.message ?? String(error) });
  throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error; see the server log');
}
