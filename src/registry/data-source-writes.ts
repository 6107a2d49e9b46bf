import type { DataSourceStore, StoredDataSource } from '../db/data-source-store.ts';
import type { DatabaseHealth } from '../db/health.ts';
import { type DataSourceDefinition, SAMPLES_SOURCE_ID } from '../providers/data-sources/types.ts';
import { safeDatabaseReason } from '../shared/database-reason.ts';
import { AppError } from '../shared/errors.ts';
import { createDraft, parseCreateSourceBody, parsePatchSourceBody, patchedDraft } from './data-source-body.ts';
import type { DataSourceCatalog } from './data-source-catalog.ts';

/**
 * The one way data sources are written (REST, the CLI): each operation is one
 * transaction that records its actor (`toolport.actor`, like tool writes),
 * then this process's catalog is re-read so the answer and the pools reflect
 * the write at once; other processes follow through the change feed.
 */
export interface DataSourceWritesDeps {
  store: DataSourceStore;
  catalog: DataSourceCatalog;
  /** Writes fail fast (503) while the database is known to be unreachable. */
  health: DatabaseHealth | undefined;
}

/** How many of the tools using a source a refused delete names. */
const USERS_SHOWN = 10;

function notFound(id: string): AppError {
  return new AppError('not_found', `No data source "${id}"`);
}

export class DataSourceWrites {
  constructor(private readonly deps: DataSourceWritesDeps) {}

  /** `body` as the client sent it (validated here): {id, url, description?, access?, poolSize?, statementTimeoutMs?, rowLimit?, enabled?}. */
  async create(actor: string, body: unknown): Promise<DataSourceDefinition> {
    const parsed = parseCreateSourceBody(body);
    const row = await this.run(actor, (store) => store.insert(parsed.id, createDraft(parsed)));
    return this.reloaded(row);
  }

  /** Only the fields sent change; on the built-in `samples` source only description, enabled, rowLimit and statementTimeoutMs. */
  async patch(actor: string, id: string, body: unknown): Promise<DataSourceDefinition> {
    const patch = parsePatchSourceBody(body, id);
    const row = await this.run(actor, async (store) => {
      const current = await store.getForUpdate(id);
      if (!current) throw notFound(id);
      const draft = patchedDraft(id, current, patch);
      // Nothing differs: no write, no change event.
      if (Object.entries(draft).every(([key, value]) => current[key as keyof StoredDataSource] === value)) return current;
      return store.update(id, draft);
    });
    return this.reloaded(row);
  }

  /** Refused for the built-in source and for a source that tools still name (409, naming up to 10 of them). */
  async delete(actor: string, id: string): Promise<DataSourceDefinition> {
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
