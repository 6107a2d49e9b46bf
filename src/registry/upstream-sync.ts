import type { ToolRow } from '../db/schema.ts';
import { MCP_PROXY } from '../handlers/kinds/mcp-proxy/index.ts';
import type { Upstreams, UpstreamTool } from '../providers/upstreams/index.ts';
import { toolSelection } from '../providers/upstreams/selection.ts';
import { isAppError } from '../shared/errors.ts';
import { sameJson } from '../shared/json-equal.ts';
import type { Logger } from '../shared/logger.ts';
import type { CreateToolBody } from './definition.ts';
import type { ToolWrites } from './tool-writes.ts';

/** MCP's tool-name rule, which `<prefix>_<tool>` must keep. */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Whether a row is one of this group's synced tools. */
export function isGroupRow(row: Pick<ToolRow, 'handler' | 'handlerConfig'>, prefix: string): boolean {
  return row.handler === MCP_PROXY && (row.handlerConfig as { upstream?: unknown } | null)?.upstream === prefix;
}

/**
 * A schema as Toolport stores it: the `$schema` draft-07 declaration that
 * zod-based servers (the v1 SDK) put on every schema is dropped — Toolport
 * checks with draft 2020-12, which reads those schemas the same.
 */
function stored(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

function bodyOf(prefix: string, tool: UpstreamTool): CreateToolBody {
  return {
    name: `${prefix}_${tool.name}`,
    title: tool.title ?? null,
    description: tool.description?.trim() || `${tool.name} (from upstream "${prefix}")`,
    inputSchema: stored(tool.inputSchema),
    outputSchema: tool.outputSchema ? stored(tool.outputSchema) : null,
    handler: MCP_PROXY,
    config: { upstream: prefix, tool: tool.name },
    annotations: tool.annotations ?? {},
    enabled: true,
  };
}

/** A row holds this body already (so no write, no version, no list_changed). */
function holds(row: ToolRow, body: CreateToolBody): boolean {
  return (
    row.enabled &&
    row.description === body.description &&
    (row.title ?? null) === (body.title ?? null) &&
    sameJson(row.inputSchema, body.inputSchema) &&
    sameJson(row.outputSchema ?? null, body.outputSchema ?? null) &&
    sameJson(row.handlerConfig, body.config) &&
    sameJson(row.annotations ?? {}, body.annotations ?? {})
  );
}

/**
 * Upstream tools as registry rows: for a failover group (a server's
 * upstreams with one prefix), the tools its best connected member lists,
 * filtered by that member's include/exclude globs, become `mcp-proxy` rows
 * named `<prefix>_<tool>` — created, replaced when they differ, and disabled
 * (not deleted, the reason in handler_config.dropped) when the upstream no
 * longer lists them. Writes go through the write service (versions,
 * revisions, audit, change log), so every process and every MCP client
 * follows; a process that finds the rows already right writes nothing, so
 * replicas syncing the same upstream converge.
 */
export class UpstreamSync {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Per upstream: the tools of its last sync Toolport refused to store, with why (GET /upstreams/:id). */
  readonly skipped = new Map<string, string[]>();

  constructor(
    private readonly deps: {
      writes: ToolWrites;
      upstreams: Upstreams;
      logger: Logger;
    },
  ) {}

  /** Sync one group (coalesced: one pass at a time per group, one more queued). */
  group(serverId: string, prefix: string): Promise<void> {
    const key = `${serverId}\0${prefix}`;
    const current = this.running.get(key);
    if (current) {
      this.again.add(key);
      return current;
    }
    const pass = (async () => {
      do {
        this.again.delete(key);
        await this.syncOnce(serverId, prefix).catch((error) => {
          // Another process wrote the same rows first, or the database is away: the next change or reconnect syncs again.
          this.deps.logger.warn('upstream tools not synced', { server: serverId, upstream: prefix, error: (error as Error).message });
        });
      } while (this.again.has(key));
    })().finally(() => this.running.delete(key));
    this.running.set(key, pass);
    return pass;
  }

  private async syncOnce(serverId: string, prefix: string): Promise<void> {
    const listed = this.deps.upstreams.groupTools(serverId, prefix);
    if (!listed) return; // none connected: the rows stay, calls fail fast saying why
    const keep = toolSelection(listed.from);
    const wanted = new Map<string, CreateToolBody>();
    for (const tool of listed.tools) {
      const body = bodyOf(prefix, tool);
      if (!keep(tool.name)) continue;
      if (!TOOL_NAME.test(body.name)) {
        this.deps.logger.warn('upstream tool skipped: its prefixed name breaks the tool-name rule', { upstream: listed.from.id, tool: tool.name });
        continue;
      }
      wanted.set(body.name, body);
    }
    const target = { actor: `upstream:${listed.from.id}`, serverId };
    const skipped: string[] = [];
    let written = 0;
    let disabled = 0;
    await this.deps.writes.batch({ actor: target.actor, import: { kind: 'upstream', upstream: listed.from.id } }, async (batch, store) => {
      const rows = (await store.listTools(serverId)).filter((row) => isGroupRow(row, prefix));
      const byName = new Map(rows.map((row) => [row.name, row]));
      for (const body of wanted.values()) {
        const row = byName.get(body.name);
        if (row && holds(row, body)) continue;
        try {
          if (row) await batch.replace({ ...target, name: body.name, body });
          else await batch.create({ ...target, body });
          written++;
        } catch (error) {
          // One tool whose schema Toolport refuses does not keep the others out.
          if (!isAppError(error) || error.code !== 'bad_request') throw error;
          skipped.push(`${body.name}: ${error.message}`);
        }
      }
      for (const row of rows) {
        if (wanted.has(row.name) || (row.handlerConfig as { dropped?: unknown }).dropped) continue;
        const config = {
          ...(row.handlerConfig as Record<string, unknown>),
          dropped: `not listed by upstream "${listed.from.id}" since ${new Date().toISOString()}`,
        };
        await batch.patch({ ...target, name: row.name, patch: { enabled: false, config } });
        disabled++;
      }
    });
    if (skipped.length) {
      this.skipped.set(listed.from.id, skipped);
      this.deps.logger.warn('upstream tools skipped', { upstream: listed.from.id, skipped });
    } else this.skipped.delete(listed.from.id);
    if (written || disabled) this.deps.logger.info('upstream tools synced', { server: serverId, upstream: prefix, written, disabled });
  }

  /** The group has no upstream left: its rows go (everywhere, through the change feed). */
  async remove(serverId: string, prefix: string): Promise<void> {
    const actor = `upstream:${prefix}`;
    await this.deps.writes.batch({ actor, import: { kind: 'upstream', removed: prefix } }, async (batch, store) => {
      for (const row of await store.listTools(serverId)) if (isGroupRow(row, prefix)) await batch.delete({ actor, serverId, name: row.name });
    });
  }
}
