/**
 * The names of the gateway's main endpoint (`/mcp` on TOOLPORT_GATEWAY_PORT):
 * a composed server's tool is reached there as `<prefix>_<tool>` (the
 * server's `tool_prefix`, by default its id), beside the management tools of
 * the deployment itself and, for large registries, the two search tools.
 * The write services refuse writes that would make two composed names equal
 * (composed-clashes in the store); the composed catalog never lists two tools
 * of one name even when a psql edit made them clash.
 */

/** The management endpoint's own id: its tools are audited and scoped as server "toolport" (`toolport:call`). */
export const MANAGEMENT_SERVER_ID = 'toolport';

/** The management tools every gateway `/mcp` lists (unprefixed). */
export const MANAGEMENT_TOOL_NAMES = ['get_server_info', 'list_all_servers', 'get_sub_server_config', 'calculate_stats'] as const;

/** What a composed view over TOOLPORT_SEARCH_THRESHOLD tools offers instead of its tools (unprefixed). */
export const SEARCH_TOOL_NAMES = ['search_tools', 'call_tool'] as const;

/** Names no composed tool may take: the management and search tools. */
export const RESERVED_TOOL_NAMES: ReadonlySet<string> = new Set<string>([...MANAGEMENT_TOOL_NAMES, ...SEARCH_TOOL_NAMES]);

/**
 * Server ids the gateway cannot route to `/<id>/…` because its own routes
 * use the path, and the management id. Refused on write; a row that has one
 * anyway (psql) is served on its own port only (logged).
 */
export const RESERVED_SERVER_IDS: ReadonlySet<string> = new Set([
  MANAGEMENT_SERVER_ID,
  'mcp',
  'health',
  'ready',
  'info',
  'servers',
  'tools',
  'handlers',
  'keys',
  'audit',
  'data-sources',
  'upstreams',
  'changes',
  'ui',
  'registry',
  'metrics',
  'docs',
  'openapi.json',
  '.well-known',
]);

/** Between a prefix and a tool name: `_`, the one separator every model API accepts. */
export const PREFIX_SEPARATOR = '_';

/** MCP's limit on a tool name. */
export const MCP_NAME_MAX = 128;
/** What several model APIs accept (OpenAI, Anthropic, Gemini function names): 64 of `[A-Za-z0-9_-]`. */
export const STRICT_NAME_MAX = 64;
const STRICT_NAME = /^[A-Za-z0-9_-]+$/;

/** The prefix rule (`servers.tool_prefix`): 1–64 of `[A-Za-z0-9_-]`. */
export const TOOL_PREFIX = /^[A-Za-z0-9_-]{1,64}$/;

/** The prefix a server's tools get on the main endpoint. */
export function prefixOf(server: { id: string; toolPrefix?: string | null | undefined }): string {
  return server.toolPrefix ?? server.id;
}

export function composedName(prefix: string, toolName: string): string {
  return `${prefix}${PREFIX_SEPARATOR}${toolName}`;
}

/**
 * Why a composed name cannot be listed, or undefined when it can: over MCP's
 * 128 characters always; with TOOLPORT_STRICT_TOOL_NAMES=1 also over 64 or
 * outside `[A-Za-z0-9_-]` (a `.`).
 */
export function composedNameProblem(name: string, strict: boolean): string | undefined {
  if (name.length > MCP_NAME_MAX) return `"${name}" is ${name.length} characters, over MCP's ${MCP_NAME_MAX}`;
  if (!strict) return undefined;
  if (name.length > STRICT_NAME_MAX) return `"${name}" is ${name.length} characters, over ${STRICT_NAME_MAX} (TOOLPORT_STRICT_TOOL_NAMES=1)`;
  if (!STRICT_NAME.test(name)) return `"${name}" has characters outside [A-Za-z0-9_-] (TOOLPORT_STRICT_TOOL_NAMES=1)`;
  return undefined;
}
