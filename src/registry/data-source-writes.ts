import type { DataSourceStore, StoredDataSource } from '../db/data-source-store.ts';
import type { DatabaseHealth } from '../db/health.ts';
import { type ActorInput, type AuditRecorder, actorColumns, auditedWrite, writeActor } from '../observability/audit-write.ts';
import { type DataSourceDefinition, SAMPLES_SOURCE_ID } from '../providers/data-sources/types.ts';
import { safeDatabaseReason } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import { createDraft, parseCreateSourceBody, parsePatchSourceBody, patchedDraft, referencedSecret } from './data-source-body.ts';
import type { DataSourceCatalog } from './data-source-catalog.ts';

/**
 * The one way data sources are written (REST, the CLI): each operation is one
 * transaction that records its actor (`toolport.actor`, like tool writes),
 * then this process's catalog is re-read so the answer and the pools reflect
 * the write at once; other processes follow through the change feed.
 *
 * Each write is audited (source.create / source.update / source.delete, the
 * source's id in details.source, a refused one with its error code). The
 * URL is stored as a `${secret:NAME}` reference and only that reference is
 * ever in an entry — never the resolved value.
 */
export interface DataSourceWritesDeps {
  store: DataSourceStore;
  catalog: DataSourceCatalog;
  /** Writes fail fast (503) while the database is known to be unreachable. */
  health: DatabaseHealth | undefined;
  /** Where write entries go (the process's AuditLog); none: writes are not audited. */
  audit?: AuditRecorder | undefined;
}

/** How many of the tools using a source a refused delete names. */
const USERS_SHOWN = 10;

/** The columns whose values differ (timestamps aside): what an update changed. */
function changedColumns(before: StoredDataSource, after: StoredDataSource): string[] {
  return (Object.keys(after) as (keyof StoredDataSource)[]).filter((key) => key !== 'updatedAt' && key !== 'createdAt' && before[key] !== after[key]).sort();
}

/** What an entry says about a source: its id, access, and the URL only as the stored reference. */
function described(row: StoredDataSource): Record<string, unknown> {
  // A row edited in SQL could hold a literal URL (with its password): that is never copied.
  const url = row.url === null || referencedSecret(row.url) ? row.url : '(not a secret reference: not shown)';
  return { source: row.id, access: row.access, url };
}

function idOf(body: unknown): string | undefined {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}

function notFound(id: string): AppError {
  return new AppError('not_found', `No data source "${id}"`);
}

export class DataSourceWrites {
  constructor(private readonly deps: DataSourceWritesDeps) {}

  /** `body` as the client sent it (validated here): {id, url, description?, access?, poolSize?, statementTimeoutMs?, rowLimit?, enabled?}. */
  create(by: ActorInput, body: unknown): Promise<DataSourceDefinition> {
    return this.audited(by, 'source.create', idOf(body), async (actor) => {
      const parsed = parseCreateSourceBody(body);
      const row = await this.run(actor, (store) => store.insert(parsed.id, createDraft(parsed)));
      return { result: await this.reloaded(row), details: described(row) };
    });
  }

  /** Only the fields sent change; on the built-in `samples` source only description, enabled, rowLimit and statementTimeoutMs. */
  patch(by: ActorInput, id: string, body: unknown): Promise<DataSourceDefinition> {
    return this.audited(by, 'source.update', id, async (actor) => {
      const patch = parsePatchSourceBody(body, id);
      let before: StoredDataSource | undefined;
      const row = await this.run(actor, async (store) => {
        const current = await store.getForUpdate(id);
        if (!current) throw notFound(id);
        before = current;
        const draft = patchedDraft(id, current, patch);
        // Nothing differs: no write, no change event.
        if (Object.entries(draft).every(([key, value]) => current[key as keyof StoredDataSource] === value)) return current;
        return store.update(id, draft);
      });
      return { result: await this.reloaded(row), details: { ...described(row), changed: before ? changedColumns(before, row) : [] } };
    });
  }

  /** Refused for the built-in source and for a source that tools still name (409, naming up to 10 of them). */
  delete(by: ActorInput, id: string): Promise<DataSourceDefinition> {
    return this.audited(by, 'source.delete', id, async (actor) => {
      const row = await this.deleteRow(actor, id);
      return { result: row, details: described(row) };
    });
  }

  private async deleteRow(actor: string, id: string): Promise<DataSourceDefinition> {
    if (id === SAMPLES_SOURCE_ID) {
      throw new AppError(
        'conflict',
        `"${SAMPLES_SOURCE_ID}" is the built-in source over the sample tables and cannot be removed; set its "enabled" to false to turn it off`,
      );
    }
    const row = await this.run(actor, async (store) => {
      if (!(await store.getForUpdate(id))) throw notFound(id);
      const users = await store.toolsUsing(id, USERS_SHOWN);
      if (users.total > 0) {
        const names = users.tools.map((tool) => `${tool.serverId}/${tool.name}`);
        const more = users.total > names.length ? ` and ${users.total - names.length} more` : '';
        throw new AppError(
          'conflict',
          `Data source "${id}" is used by ${users.total} tool${users.total === 1 ? '' : 's'} (${names.join(', ')}${more}): ` +
            'delete those tools or point them at another source first',
          { extra: { tools: users.tools, toolCount: users.total } },
        );
      }
      return store.delete(id);
    });
    await this.deps.catalog.reload();
    return row;
  }

  /** One write, then its audit entry: `ok`, or the error code it was refused with. */
  private async audited<T>(
    by: ActorInput,
    action: string,
    id: string | undefined,
    work: (actor: string) => Promise<{ result: T; details: Record<string, unknown> }>,
  ): Promise<T> {
    const who = writeActor(by);
    const base = { ...actorColumns(who), action };
    return auditedWrite(
      this.deps.audit,
      ({ outcome, details }) => ({ ...base, outcome, details: { ...(id === undefined ? {} : { source: id }), ...details } }),
      async () => {
        const done = await work(who.actor);
        return { result: done.result, entry: { ...base, outcome: 'ok', details: done.details } };
      },
    );
  }

  private run<T>(actor: string, work: (store: DataSourceStore) => Promise<T>): Promise<T> {
    const health = this.deps.health;
    if (health && !health.ok) {
      throw new AppError('unavailable', `The database is unreachable (${safeDatabaseReason(health.error)}); registry writes fail until it returns`);
    }
    return this.deps.store.transaction(actor, work);
  }

  /** The row written, once this process's catalog (and the pools) hold it. */
  private async reloaded(row: StoredDataSource): Promise<DataSourceDefinition> {
    await this.deps.catalog.reload();
    return row;
  }
}
