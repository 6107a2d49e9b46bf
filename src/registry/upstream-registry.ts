import type { DatabaseHealth } from '../db/health.ts';
import type { StoredUpstream, UpstreamStore } from '../db/upstream-store.ts';
import { type ActorInput, type AuditRecorder, actorColumns, auditedWrite, writeActor } from '../observability/audit-write.ts';
import type { Upstreams } from '../providers/upstreams/index.ts';
import { safeDatabaseReason } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { parseCreateUpstreamBody, patchedUpstream } from './upstream-body.ts';
import type { UpstreamSync } from './upstream-sync.ts';

const groupOf = (d: StoredUpstream) => `${d.serverId}\0${d.prefix}`;

/**
 * The `upstreams` table as this process follows it: the definitions, their
 * connections (reconciled on every reload: the REST writes here, and the
 * change feed for writes made anywhere else, psql included) and the sync of
 * their tools. Writes are one transaction each, recording the actor, and
 * audited (upstream.create / update / delete; never a secret value: headers
 * and env hold references only).
 */
export class UpstreamRegistry {
  constructor(
    private readonly deps: {
      store: UpstreamStore;
      upstreams: Upstreams;
      sync: UpstreamSync;
      logger: Logger;
      health?: DatabaseHealth | undefined;
      audit?: AuditRecorder | undefined;
    },
  ) {
    deps.upstreams.onToolsChanged = (definition) => void deps.sync.group(definition.serverId, definition.prefix);
  }

  list(): readonly StoredUpstream[] {
    return this.deps.upstreams.list();
  }

  /** The tools of its last sync Toolport refused to store, and why (a schema it cannot check, a name too long). */
  skipped(id: string): readonly string[] {
    return this.deps.sync.skipped.get(id) ?? [];
  }

  get(id: string): StoredUpstream | undefined {
    return this.deps.upstreams.definition(id);
  }

  /**
   * Re-read the table; connect, reconnect or close; a group left without any
   * upstream loses its tools, and a definition that changed without a
   * reconnect (prefix, include/exclude, priority) is synced again. A new
   * connection syncs when it has listed its tools.
   */
  async reload(): Promise<void> {
    const before = new Map(this.deps.upstreams.list().map((d) => [d.id, JSON.stringify(d)]));
    const now = await this.deps.store.list();
    const groupsBefore = new Set(this.deps.upstreams.list().map(groupOf));
    await this.deps.upstreams.reconcile(now);
    const groupsNow = new Set(now.map(groupOf));
    for (const gone of groupsBefore) {
      if (groupsNow.has(gone)) continue;
      const [serverId, prefix] = gone.split('\0') as [string, string];
      await this.deps.sync
        .remove(serverId, prefix)
        .catch((error) =>
          this.deps.logger.warn('tools of a removed upstream not deleted', { server: serverId, upstream: prefix, error: (error as Error).message }),
        );
    }
    for (const d of now) {
      const was = before.get(d.id);
      if (was !== undefined && was !== JSON.stringify(d)) void this.deps.sync.group(d.serverId, d.prefix);
    }
  }

  create(by: ActorInput, body: unknown): Promise<StoredUpstream> {
    const id = (body as { id?: unknown } | null)?.id;
    return this.audited(by, 'upstream.create', typeof id === 'string' ? id : undefined, async (actor) => {
      const parsed = parseCreateUpstreamBody(body);
      return this.run(actor, async (store) => {
        if (!(await store.serverExists(parsed.draft.serverId))) {
          throw new AppError('bad_request', `Invalid upstream: /server names no server ("${parsed.draft.serverId}")`, {
            details: [{ path: '/server', message: `no server "${parsed.draft.serverId}" (GET /servers lists them)` }],
          });
        }
        return store.insert(parsed.id, parsed.draft);
      });
    });
  }

  patch(by: ActorInput, id: string, body: unknown): Promise<StoredUpstream> {
    return this.audited(by, 'upstream.update', id, (actor) =>
      this.run(actor, async (store) => {
        const current = await store.getForUpdate(id);
        if (!current) throw new AppError('not_found', `No upstream "${id}"`);
        return store.update(id, patchedUpstream(current, body));
      }),
    );
  }

  delete(by: ActorInput, id: string): Promise<StoredUpstream> {
    return this.audited(by, 'upstream.delete', id, (actor) => this.run(actor, (store) => store.delete(id)));
  }

  private async run(actor: string, work: (store: UpstreamStore) => Promise<StoredUpstream>): Promise<StoredUpstream> {
    const health = this.deps.health;
    if (health && !health.ok) {
      throw new AppError('unavailable', `The database is unreachable (${safeDatabaseReason(health.error)}); registry writes fail until it returns`);
    }
    const row = await this.deps.store.transaction(actor, work);
    await this.reload();
    return row;
  }

  private audited(by: ActorInput, action: string, id: string | undefined, work: (actor: string) => Promise<StoredUpstream>): Promise<StoredUpstream> {
    const who = writeActor(by);
    const base = { ...actorColumns(who), action };
    return auditedWrite(
      this.deps.audit,
      ({ outcome, details }) => ({ ...base, outcome, details: { ...(id === undefined ? {} : { upstream: id }), ...details } }),
      async () => {
        const row = await work(who.actor);
        return { result: row, entry: { ...base, outcome: 'ok', details: { upstream: row.id, server: row.serverId, transport: row.transport } } };
      },
    );
  }
}
