import type { DatabaseHealth } from '../db/health.ts';
import type { ServerRow } from '../db/schema.ts';
import type { ServerFields, ServerStore } from '../db/server-store.ts';
import { type ActorInput, type AuditRecorder, actorColumns, auditedWrite, writeActor } from '../observability/audit-write.ts';
import { safeDatabaseReason } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import { sameJson } from '../shared/json-equal.ts';
import { parseOrThrow } from '../shared/validation.ts';
import { checkServerComposition } from './composed-clashes.ts';
import { CreateServerBody, PatchServerBody } from './server-body.ts';

export interface ServerWritesDeps {
  store: ServerStore;
  health: DatabaseHealth | undefined;
  audit?: AuditRecorder | undefined;
  /** TOOLPORT_STRICT_TOOL_NAMES=1 (composed names ≤ 64 of [A-Za-z0-9_-]). */
  strictToolNames: boolean;
}

/** A server as GET /servers shows it, with how many tools it has. */
export interface ServerWithTools {
  row: ServerRow;
  tools: number;
}

export function serverFieldsOf(row: ServerRow): ServerFields {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    port: row.port,
    enabled: row.enabled,
    toolPrefix: row.toolPrefix,
    compose: row.compose,
    rateLimit: row.rateLimit,
    auth: (row.auth as Record<string, unknown> | null) ?? null,
  };
}

/** A port another server holds is refused (409), naming that server. */
export async function assertPortFree(store: ServerStore, port: number | null, id: string): Promise<void> {
  if (port === null) return;
  const holder = await store.portHolder(port, id);
  if (holder)
    throw new AppError('conflict', `Port ${port} is already used by server "${holder}"`, {
      details: [{ path: '/port', message: `is used by server "${holder}"` }],
    });
}

function notFound(id: string): AppError {
  return new AppError('not_found', `No server "${id}"`);
}

function stale(id: string, current: number, expected: number): AppError {
  return new AppError(
    'precondition_failed',
    `Server "${id}" is at version ${current}, not ${expected}: it changed since you read it. Fetch it again and retry.`,
    {
      extra: { currentVersion: current },
    },
  );
}

/**
 * The one way the `servers` table is written outside SQL (POST/PATCH/DELETE
 * /servers): one transaction each, the actor recorded in the change log, an
 * If-Match version honoured, a port another server holds refused (409), a
 * server with tools deleted only with `cascade`, composed-name clashes
 * refused — and every write, refused ones too, audited (`server.create`,
 * `server.update`, `server.delete`). `afterWrite` (the server manager's
 * reconcile) runs once it committed, so the answer comes when the server's
 * listener and gateway path are live; other processes follow the change feed.
 */
export class ServerWrites {
  /** Set by main/: bring this process's listeners and snapshots in line with the written rows. */
  afterWrite: ((serverIds: string[]) => Promise<void>) | undefined;

  constructor(private readonly deps: ServerWritesDeps) {}

  async list(): Promise<ServerWithTools[]> {
    const [rows, counts] = await Promise.all([this.deps.store.list(), this.deps.store.toolCounts()]);
    return rows.map((row) => ({ row, tools: counts.get(row.id) ?? 0 }));
  }

  async get(id: string): Promise<ServerWithTools> {
    const row = await this.deps.store.get(id);
    if (!row) throw notFound(id);
    return { row, tools: (await this.deps.store.toolNames(id)).length };
  }

  create(by: ActorInput, body: unknown): Promise<ServerRow> {
    const who = writeActor(by);
    const id = typeof (body as { id?: unknown })?.id === 'string' ? (body as { id: string }).id : null;
    return this.audited(who, 'server.create', id, async () => {
      const parsed = parseOrThrow(CreateServerBody, body, 'server');
      const fields: ServerFields = {
        id: parsed.id,
        name: parsed.name ?? parsed.id,
        description: parsed.description ?? '',
        port: parsed.port ?? null,
        enabled: parsed.enabled ?? true,
        toolPrefix: parsed.toolPrefix ?? null,
        compose: parsed.compose ?? true,
        rateLimit: parsed.rateLimit ?? null,
        auth: (parsed.auth as Record<string, unknown> | null | undefined) ?? null,
      };
      const row = await this.transaction(who.actor, async (store) => {
        if (await store.get(fields.id))
          throw new AppError('conflict', `A server "${fields.id}" already exists`, { details: [{ path: '/id', message: 'already exists' }] });
        await assertPortFree(store, fields.port, fields.id);
        const inserted = await store.insert(fields);
        await checkServerComposition(store, inserted, this.deps.strictToolNames);
        return inserted;
      });
      return { result: row, versionAfter: row.version, details: { port: row.port } };
    });
  }

  patch(by: ActorInput, id: string, body: unknown, ifMatch?: number): Promise<ServerRow> {
    const who = writeActor(by);
    return this.audited(who, 'server.update', id, async () => {
      const parsed = parseOrThrow(PatchServerBody, body, 'server patch');
      let before = 0;
      let changed: string[] = [];
      const row = await this.transaction(who.actor, async (store) => {
        const current = await store.getForUpdate(id);
        if (!current) throw notFound(id);
        if (ifMatch !== undefined && current.version !== ifMatch) throw stale(id, current.version, ifMatch);
        before = current.version;
        const old = serverFieldsOf(current);
        const next: ServerFields = { ...old };
        for (const [key, value] of Object.entries(parsed)) if (value !== undefined) (next as unknown as Record<string, unknown>)[key] = value;
        changed = (Object.keys(next) as (keyof ServerFields)[]).filter((key) => !sameJson(old[key], next[key])).sort();
        if (changed.length === 0) return current;
        if (changed.includes('port')) await assertPortFree(store, next.port, id);
        const updated = await store.update(id, next);
        await checkServerComposition(store, updated, this.deps.strictToolNames);
        return updated;
      });
      return { result: row, versionBefore: before, versionAfter: row.version, details: { changed } };
    });
  }

  remove(
    by: ActorInput,
    id: string,
    options: { cascade: boolean; ifMatch?: number | undefined },
  ): Promise<{ row: ServerRow; toolsDeleted: number; upstreamsDeleted: string[] }> {
    const who = writeActor(by);
    return this.audited(who, 'server.delete', id, async () => {
      let tools = 0;
      let feeding: string[] = [];
      const row = await this.transaction(who.actor, async (store) => {
        const current = await store.getForUpdate(id);
        if (!current) throw notFound(id);
        if (options.ifMatch !== undefined && current.version !== options.ifMatch) throw stale(id, current.version, options.ifMatch);
        tools = (await store.toolNames(id)).length;
        feeding = await store.upstreamIds(id);
        if ((tools > 0 || feeding.length > 0) && !options.cascade) {
          const what = [
            tools > 0 ? `${tools} tool${tools === 1 ? '' : 's'}` : undefined,
            feeding.length ? `upstream${feeding.length === 1 ? '' : 's'} ${feeding.map((u) => `"${u}"`).join(', ')} feeding it` : undefined,
          ].filter(Boolean);
          throw new AppError(
            'conflict',
            `Server "${id}" has ${what.join(' and ')}: delete them first, or pass ?cascade=true to delete the server with ${feeding.length ? 'them' : 'its tools'}`,
            { extra: { tools, upstreams: feeding } },
          );
        }
        // Its tools and upstreams go with it (ON DELETE CASCADE; the upstreams' trigger tells every process).
        return (await store.delete(id))!;
      });
      const details = { toolsDeleted: tools, ...(feeding.length ? { upstreamsDeleted: feeding } : {}) };
      return { result: { row, toolsDeleted: tools, upstreamsDeleted: feeding }, versionBefore: row.version, details };
    });
  }

  private transaction<T>(actor: string, work: (store: ServerStore) => Promise<T>): Promise<T> {
    const health = this.deps.health;
    if (health && !health.ok) {
      throw new AppError('unavailable', `The database is unreachable (${safeDatabaseReason(health.error)}); registry writes fail until it returns`);
    }
    return this.deps.store.transaction(actor, work);
  }

  private async audited<T extends ServerRow | { row: ServerRow }>(
    who: ReturnType<typeof writeActor>,
    action: 'server.create' | 'server.update' | 'server.delete',
    serverId: string | null,
    work: () => Promise<{ result: T; versionBefore?: number; versionAfter?: number; details: Record<string, unknown> }>,
  ): Promise<T> {
    const result = await auditedWrite(
      this.deps.audit,
      ({ outcome, details }) => ({ ...actorColumns(who), action, serverId, outcome, details }),
      async () => {
        const done = await work();
        return {
          result: done.result,
          entry: {
            ...actorColumns(who),
            action,
            serverId,
            outcome: 'ok',
            versionBefore: done.versionBefore ?? null,
            versionAfter: done.versionAfter ?? null,
            details: done.details,
          },
        };
      },
    );
    const row = 'row' in result ? (result as { row: ServerRow }).row : (result as ServerRow);
    await this.afterWrite?.([row.id]);
    return result;
  }
}
