import * as v from 'valibot';
import type { Upstreams } from '../../../providers/upstreams/index.ts';
import { defineHandler, type Handler } from '../../define.ts';
import { type ContentBlock, toolResult } from '../../result.ts';

/**
 * The `mcp-proxy` handler kind: a tool of another MCP server (an upstream,
 * table `upstreams`), synced into the registry as a row named
 * `<prefix>_<tool>`. A call goes to the upstream's failover group through its
 * own connection and credentials (the caller's are never forwarded), after
 * Toolport checked the arguments against the synced input schema; the
 * upstream's CallToolResult comes back as it is (every content type,
 * structuredContent, isError).
 */
export const MCP_PROXY = 'mcp-proxy';

export const mcpProxyConfigSchema = v.strictObject({
  upstream: v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an upstream prefix (1–64 of A–Z, a–z, 0–9, _ and -)')),
  tool: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(128, 'must be at most 128 characters')),
  /** Set by the sync when the upstream stopped listing the tool (the row is disabled, not deleted). */
  dropped: v.optional(v.string('must be a string')),
});

export type McpProxyConfig = v.InferOutput<typeof mcpProxyConfigSchema>;

const BLOCK_KEYS: Record<string, readonly string[]> = {
  text: ['type', 'text', 'annotations', '_meta'],
  image: ['type', 'data', 'mimeType', 'annotations', '_meta'],
  audio: ['type', 'data', 'mimeType', 'annotations', '_meta'],
  resource: ['type', 'resource', 'annotations', '_meta'],
};

/** A content block with the members the spec defines for its type (newer servers may add some: they are not passed on). */
function block(value: Record<string, unknown>): ContentBlock {
  const keys = BLOCK_KEYS[String(value.type)];
  return (keys ? Object.fromEntries(Object.entries(value).filter(([key]) => keys.includes(key))) : value) as ContentBlock;
}

export function createMcpProxyKind(deps: { upstreams: Upstreams; callTimeoutMs: number }): Handler {
  return defineHandler({
    name: MCP_PROXY,
    title: 'Upstream MCP tool',
    description:
      'A tool of another MCP server, synced from an upstream (POST /upstreams): rows of this kind are written by the sync, ' +
      'with "config": {"upstream": "<prefix>", "tool": "<its name upstream>"}.',
    input: v.looseObject({}),
    config: mcpProxyConfigSchema,
    annotations: { openWorldHint: true },
    runs: 'inline',
    unavailableReason: (config) => (config.dropped ? `the upstream no longer lists "${config.tool}" (${config.dropped})` : undefined),
    run: async (input, ctx) => {
      const result = await deps.upstreams.call(ctx.serverId, ctx.config.upstream, ctx.config.tool, input as Record<string, unknown>, {
        signal: ctx.signal,
        timeoutMs: deps.callTimeoutMs,
      });
      const content = (result.content ?? []).map((item) => block(item as Record<string, unknown>));
      return toolResult({
        content,
        ...(result.structuredContent ? { structuredContent: result.structuredContent as Record<string, unknown> } : {}),
        ...(result.isError ? { isError: true } : {}),
      });
    },
  });
}
