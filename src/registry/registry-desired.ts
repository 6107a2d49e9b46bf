import type { DataSourceDraft } from '../db/data-source-store.ts';
import type { ServerFields } from '../db/server-store.ts';
import type { UpstreamDraft } from '../db/upstream-store.ts';
import type { Handler } from '../handlers/define.ts';
import { MCP_PROXY } from '../handlers/kinds/mcp-proxy/index.ts';
import { type AppError, type FieldIssue, isAppError } from '../shared/errors.ts';
import { createDraft, parseCreateSourceBody } from './data-source-body.ts';
import { type CreateToolBody, checkDraft, resolveDraft, type ToolDraft } from './definition.ts';
import type { FileTool, RegistryDocument } from './registry-file.ts';
import type { SchemaLimits } from './schema-limits.ts';
import { parseCreateUpstreamBody } from './upstream-body.ts';

/**
 * What a registry file says the registry is, resolved: each server's row,
 * each tool's row (the handler's defaults filled in, as POST /tools fills
 * them), each data source's row — with every problem collected (path in the
 * file and reason) rather than stopping at the first. Schemas and handler
 * configs are checked only for tools that will be written (checkTools), so
 * a no-op apply of a large registry compiles nothing.
 */
export interface DesiredTool {
  body: CreateToolBody;
  draft: ToolDraft;
  rateLimit: string | null;
  /** Its JSON Pointer in the file. */
  at: string;
}

export interface DesiredServer {
  fields: ServerFields;
  tools: Map<string, DesiredTool>;
  at: string;
}

export interface DesiredSource {
  draft: DataSourceDraft;
  at: string;
}

export interface DesiredUpstream {
  draft: UpstreamDraft;
  at: string;
}

export interface DesiredRegistry {
  servers: Map<string, DesiredServer>;
  dataSources: Map<string, DesiredSource>;
  upstreams: Map<string, DesiredUpstream>;
}

/** An AppError's field issues under a prefix (`/servers/0/tools/2` + `/inputSchema/type`). */
export function issuesUnder(prefix: string, error: unknown): FieldIssue[] {
  if (!isAppError(error)) throw error;
  if (error.details?.length) return error.details.map((detail) => ({ path: prefix + (detail.path === '/' ? '' : detail.path), message: detail.message }));
  return [{ path: prefix, message: error.message }];
}

function toolBody(tool: FileTool): CreateToolBody {
  const { rateLimit: _rateLimit, ...body } = tool;
  return body as CreateToolBody;
}

export function resolveDocument(document: RegistryDocument, handlers: ReadonlyMap<string, Handler>, issues: FieldIssue[]): DesiredRegistry {
  const servers = new Map<string, DesiredServer>();
  const ports = new Map<number, string>();
  document.servers.forEach((server, index) => {
    const at = `/servers/${index}`;
    if (servers.has(server.id)) issues.push({ path: `${at}/id`, message: `server "${server.id}" is listed twice` });
    if (server.port != null) {
      const holder = ports.get(server.port);
      if (holder) issues.push({ path: `${at}/port`, message: `port ${server.port} is also server "${holder}"'s` });
      else ports.set(server.port, server.id);
    }
    const tools = new Map<string, DesiredTool>();
    server.tools.forEach((tool, position) => {
      const toolAt = `${at}/tools/${position}`;
      if (tools.has(tool.name)) issues.push({ path: `${toolAt}/name`, message: `tool "${tool.name}" is listed twice on server "${server.id}"` });
      if (tool.handler === MCP_PROXY) {
        issues.push({
          path: `${toolAt}/handler`,
          message: `"${MCP_PROXY}" tools are synced from an upstream MCP server: list the upstream under "upstreams" instead of its tools`,
        });
        return;
      }
      const handler = handlers.get(tool.handler ?? tool.name);
      // As in seeds: an omitted description is the handler's.
      const body = toolBody({ ...tool, description: tool.description ?? handler?.description ?? '' });
      if (!body.description) {
        issues.push({ path: `${toolAt}/description`, message: `is required (no handler "${tool.handler ?? tool.name}" gives one)` });
        return;
      }
      try {
        tools.set(tool.name, { body, draft: resolveDraft(body, handlers), rateLimit: tool.rateLimit ?? null, at: toolAt });
      } catch (error) {
        issues.push(...issuesUnder(toolAt, error));
      }
    });
    servers.set(server.id, {
      at,
      tools,
      fields: {
        id: server.id,
        name: server.name ?? server.id,
        description: server.description ?? '',
        port: server.port ?? null,
        enabled: server.enabled ?? true,
        toolPrefix: server.prefix ?? null,
        compose: server.compose ?? true,
        rateLimit: server.rateLimit ?? null,
        auth: (server.auth as Record<string, unknown> | null | undefined) ?? null,
      },
    });
  });
  const dataSources = new Map<string, DesiredSource>();
  document.dataSources.forEach((source, index) => {
    const at = `/dataSources/${index}`;
    if (dataSources.has(source.id)) issues.push({ path: `${at}/id`, message: `data source "${source.id}" is listed twice` });
    try {
      dataSources.set(source.id, { draft: createDraft(parseCreateSourceBody(source)), at });
    } catch (error) {
      issues.push(...issuesUnder(at, error));
    }
  });
  const upstreams = new Map<string, DesiredUpstream>();
  document.upstreams.forEach((upstream, index) => {
    const at = `/upstreams/${index}`;
    if (upstreams.has(upstream.id)) issues.push({ path: `${at}/id`, message: `upstream "${upstream.id}" is listed twice` });
    try {
      upstreams.set(upstream.id, { draft: parseCreateUpstreamBody(upstream).draft, at });
    } catch (error) {
      issues.push(...issuesUnder(at, error));
    }
  });
  return { servers, dataSources, upstreams };
}

/** The schema and config checks of the tools about to be written; their problems, with their paths in the file. */
export function checkTools(tools: readonly DesiredTool[], handlers: ReadonlyMap<string, Handler>, limits: SchemaLimits | undefined): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const tool of tools) {
    try {
      checkDraft(tool.draft, handlers, limits, tool.body.parameters ? '/parameters' : '/inputSchema');
    } catch (error) {
      issues.push(...issuesUnder(tool.at, error));
    }
  }
  return issues;
}

/** Refuse a plan with problems: all of them, by path. */
export function assertNoIssues(issues: FieldIssue[], raise: (issues: FieldIssue[]) => AppError): void {
  if (issues.length > 0) throw raise(issues);
}
