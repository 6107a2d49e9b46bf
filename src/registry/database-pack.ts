import type { ToolRow } from '../db/schema.ts';
import { type DatabaseMode, MODES, PACK_TOOL_SPECS, packToolInputSchema, toolsOf } from '../handlers/kinds/database/index.ts';
import { AppError } from '../shared/errors.ts';
import type { ToolWrites } from './tool-writes.ts';

/**
 * The database tool pack as rows: the 4 (user modes) or 9 (admin modes)
 * tools of the `database` kind on one server, over one data source, in one
 * mode — named `<prefix>_<tool>` (prefix: the server id by default; "-"
 * becomes "_", the form model APIs accept). One batch: all rows or none; a
 * name that exists already is a 409 naming it and nothing is written. The
 * rows are ordinary tools afterwards: listed, editable, removable.
 */

export interface DatabasePackRequest {
  writes: ToolWrites;
  /** Recorded in the change log (`admin-token`, `cli:add-database-tools` …). */
  actor: string;
  /** The caller's readable name and the request id, for the audit entries. */
  actorName?: string | undefined;
  requestId?: string | undefined;
  serverId: string;
  source: string;
  mode: DatabaseMode;
  prefix?: string | undefined;
}

export interface DatabasePackResult {
  server: string;
  source: string;
  mode: DatabaseMode;
  tools: { name: string; tool: string; version: number }[];
}

const PREFIX = /^[A-Za-z0-9_.-]{1,80}$/;

/** "app-1" → "app_1". */
export function packPrefix(prefix: string): string {
  return prefix.replace(/-/g, '_');
}

export async function addDatabaseTools(request: DatabasePackRequest): Promise<DatabasePackResult> {
  const { writes, serverId, source, mode } = request;
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new AppError('bad_request', `Invalid mode: must be one of ${MODES.join(', ')}`, {
      details: [{ path: '/mode', message: `must be one of ${MODES.join(', ')}` }],
    });
  }
  const rawPrefix = request.prefix ?? serverId;
  if (!PREFIX.test(rawPrefix)) {
    throw new AppError('bad_request', 'Invalid prefix: must be 1–80 characters of A–Z, a–z, 0–9, "_", "-" or "."', {
      details: [{ path: '/prefix', message: 'must be 1–80 characters of A–Z, a–z, 0–9, "_", "-" or "."' }],
    });
  }
  const prefix = packPrefix(rawPrefix);
  const bodies = toolsOf(mode).map((tool) => {
    const spec = PACK_TOOL_SPECS[tool];
    return {
      tool,
      body: {
        name: `${prefix}_${tool}`,
        title: spec.title,
        description: spec.description(mode),
        inputSchema: packToolInputSchema(tool),
        handler: 'database',
        config: { source, mode, tool },
        annotations: { ...spec.annotations(mode), openWorldHint: false },
      },
    };
  });
  const who = {
    actor: request.actor,
    actorName: request.actorName,
    requestId: request.requestId,
    import: { kind: 'database-pack', source: request.source, mode: request.mode, prefix: request.prefix },
  };
  const rows: ToolRow[] = await writes.batch(who, async (batch, store) => {
    if (!(await store.getServer(serverId))) throw new AppError('not_found', `Server "${serverId}" does not exist`);
    const taken = await store.getToolsByName(
      serverId,
      bodies.map(({ body }) => body.name),
    );
    if (taken.length) {
      const existing = new Set(taken.map((row) => row.name));
      // In pack order, as the caller will read them.
      const names = bodies
        .filter(({ body }) => existing.has(body.name))
        .map(({ body }) => `"${body.name}"`)
        .join(', ');
      throw new AppError('conflict', `Server "${serverId}" already has tool(s) named ${names}: nothing was added (remove them or choose another prefix)`, {
        details: bodies.filter(({ body }) => existing.has(body.name)).map(({ body }) => ({ path: '/prefix', message: `"${body.name}" already exists` })),
      });
    }
    const written: ToolRow[] = [];
    for (const { body } of bodies)
      written.push((await batch.create({ actor: request.actor, actorName: request.actorName, requestId: request.requestId, serverId, body })).row);
    return written;
  });
  return {
    server: serverId,
    source,
    mode,
    tools: rows.map((row, index) => ({ name: row.name, tool: bodies[index]!.tool, version: row.version })),
  };
}
