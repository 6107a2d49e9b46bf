import type { StoredDataSource } from '../db/data-source-store.ts';
import type { ServerRow, ToolRow } from '../db/schema.ts';
import type { StoredUpstream } from '../db/upstream-store.ts';
import type { Handler } from '../handlers/define.ts';
import { MCP_PROXY } from '../handlers/kinds/mcp-proxy/index.ts';
import { SAMPLES_SOURCE_ID } from '../providers/data-sources/types.ts';
import { canonicalJson } from '../shared/canonical-json.ts';
import { sameJson } from '../shared/json-equal.ts';
import { lazyRequire } from '../shared/lazy-require.ts';
import { SOURCE_DEFAULTS } from './data-source-body.ts';
import { resolveDraft } from './definition.ts';
import type { RegistryFileFormat } from './registry-file.ts';
import { UPSTREAM_DEFAULTS } from './upstream-body.ts';

const jsYaml = lazyRequire<typeof import('js-yaml')>('js-yaml');

/**
 * The registry as a registry file: deterministic (lists sorted by id and
 * name, the keys of every nested value sorted), so an unchanged registry
 * exports byte for byte the same and a diff in Git is the change. A field
 * is written unless it holds exactly what applying the file without it
 * would give (the handler's default, the column's default): exporting and
 * applying the export again changes nothing, by construction.
 */

/** Keys sorted at every level (canonical JSON read back). */
function sorted<T>(value: T): T {
  return JSON.parse(canonicalJson(value)) as T;
}

/** The tool as a file entry. */
export function exportedTool(row: ToolRow, handlers: ReadonlyMap<string, Handler>): Record<string, unknown> {
  const handler = row.handler === row.name ? undefined : row.handler;
  let defaults: ReturnType<typeof resolveDraft> | undefined;
  try {
    defaults = resolveDraft(
      { name: row.name, description: row.description, inputSchema: row.inputSchema as Record<string, unknown>, ...(handler ? { handler } : {}) },
      handlers,
    );
  } catch {
    // Its handler is not loaded here: every field is written as stored.
  }
  const entry: Record<string, unknown> = { name: row.name };
  if (!defaults || !sameJson(defaults.title, row.title)) entry.title = row.title;
  entry.description = row.description;
  if (handler) entry.handler = handler;
  entry.inputSchema = sorted(row.inputSchema);
  if (!defaults || !sameJson(defaults.outputSchema, row.outputSchema ?? null)) entry.outputSchema = sorted(row.outputSchema ?? null);
  if (!sameJson(row.handlerConfig ?? {}, {})) entry.config = sorted(row.handlerConfig);
  if (!defaults || !sameJson(defaults.annotations, row.annotations ?? {})) entry.annotations = sorted(row.annotations ?? {});
  if (!row.enabled) entry.enabled = false;
  if (row.rateLimit) entry.rateLimit = row.rateLimit;
  return entry;
}

export function exportedServer(row: ServerRow, tools: readonly ToolRow[], handlers: ReadonlyMap<string, Handler>): Record<string, unknown> {
  const entry: Record<string, unknown> = { id: row.id, name: row.name };
  if (row.description) entry.description = row.description;
  if (row.port !== null) entry.port = row.port;
  if (row.toolPrefix !== null) entry.prefix = row.toolPrefix;
  if (!row.enabled) entry.enabled = false;
  if (!row.compose) entry.compose = false;
  if (row.rateLimit) entry.rateLimit = row.rateLimit;
  if (row.auth) entry.auth = sorted(row.auth);
  entry.tools = [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((tool) => exportedTool(tool, handlers));
  return entry;
}

/** A data source (its URL is only ever a secret reference); the built-in `samples` source is not part of a file. */
export function exportedSource(source: StoredDataSource): Record<string, unknown> | undefined {
  if (source.id === SAMPLES_SOURCE_ID) return undefined;
  const entry: Record<string, unknown> = { id: source.id, url: source.url };
  for (const key of ['description', 'access', 'poolSize', 'statementTimeoutMs', 'rowLimit', 'enabled'] as const) {
    if (source[key] !== SOURCE_DEFAULTS[key]) entry[key] = source[key];
  }
  return entry;
}

/**
 * An upstream MCP server (headers and env hold only secret references). Its
 * `transport` is written only when it is not what the file's fields imply
 * (stdio when there is a command and no url), its `prefix` only when it is not its id.
 */
export function exportedUpstream(row: StoredUpstream): Record<string, unknown> {
  const entry: Record<string, unknown> = { id: row.id, server: row.serverId };
  const implied = row.command && !row.url ? 'stdio' : 'streamable-http';
  if (row.transport !== implied) entry.transport = row.transport;
  if (row.url !== null) entry.url = row.url;
  if (row.command !== null) entry.command = row.command;
  if (row.prefix !== row.id) entry.prefix = row.prefix;
  for (const key of Object.keys(UPSTREAM_DEFAULTS) as (keyof typeof UPSTREAM_DEFAULTS)[]) {
    if (!sameJson(row[key], UPSTREAM_DEFAULTS[key])) entry[key] = sorted(row[key]);
  }
  return entry;
}

export interface ExportInput {
  servers: readonly ServerRow[];
  /** Rows synced from upstreams (handler mcp-proxy) are left out: the file lists their upstream. */
  tools: readonly ToolRow[];
  dataSources: readonly StoredDataSource[] | undefined;
  upstreams?: readonly StoredUpstream[] | undefined;
}

export function exportDocument(input: ExportInput, handlers: ReadonlyMap<string, Handler>): Record<string, unknown> {
  const byServer = new Map<string, ToolRow[]>();
  for (const tool of input.tools) {
    if (tool.handler === MCP_PROXY) continue;
    const list = byServer.get(tool.serverId);
    if (list) list.push(tool);
    else byServer.set(tool.serverId, [tool]);
  }
  const servers = [...input.servers]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((row) => exportedServer(row, byServer.get(row.id) ?? [], handlers));
  const document: Record<string, unknown> = { servers };
  if (input.dataSources) {
    document.dataSources = [...input.dataSources]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(exportedSource)
      .filter((entry) => entry !== undefined);
  }
  if (input.upstreams?.length) document.upstreams = [...input.upstreams].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(exportedUpstream);
  return document;
}

const YAML_HEADER =
  '# Toolport registry file: `toolport apply <file>` makes the registry match it (`--dry-run` shows the plan).\n' +
  '# Format: schemas/registry-file.schema.json in the Toolport repository.\n';

export function serializeDocument(document: Record<string, unknown>, format: RegistryFileFormat): string {
  if (format === 'json') return `${JSON.stringify(document, null, 2)}\n`;
  // js-yaml writes (five times faster than `yaml` at 10,000 tools); no anchors, no folded lines: a stable text.
  return YAML_HEADER + jsYaml().dump(document, { lineWidth: -1, noRefs: true });
}
