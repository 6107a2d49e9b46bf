import type { DataSourceStore } from '../db/data-source-store.ts';
import type { DataSourceAccessor, DataSourceDefinition, DataSourceSink } from '../providers/data-sources/types.ts';
import type { Logger } from '../shared/logger.ts';

export interface DataSourceCatalogDeps {
  store: DataSourceStore;
  /**
   * Takes the whole list after every load (the pools); optional: the CLI
   * needs none. When it can also say why a source is unusable here (the
   * pools can), GET /data-sources shows that.
   */
  sink?: (DataSourceSink & Partial<Pick<DataSourceAccessor, 'unavailableReason'>>) | undefined;
  logger: Logger;
  /** After every load, once the sink has the new list: tools whose availability depends on a source are re-checked. */
  onLoaded?: (() => void) | undefined;
}

/**
 * The data sources as this process holds them: read whole from the table at
 * start and again after every change of it (this process's writes, SQL, other
 * replicas — through the change feed). The table is small (a handful of rows),
 * so re-reading all of it is simpler than applying single changes, and always
 * right. After each load the whole list goes to the sink.
 */
export class DataSourceCatalog {
  private definitions: readonly DataSourceDefinition[] = [];
  private byId = new Map<string, DataSourceDefinition>();
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly deps: DataSourceCatalogDeps) {}

  /** Every source, the built-in `samples` included, ordered by id. */
  list(): readonly DataSourceDefinition[] {
    return this.definitions;
  }

  get(id: string): DataSourceDefinition | undefined {
    return this.byId.get(id);
  }

  /**
   * Whether the source can be used in this process now, as the pools see it
   * (unset secret, unreachable, no role …); undefined when no pools are
   * attached to tell.
   */
  availability(id: string): { available: boolean; reason?: string } | undefined {
    const reason = this.deps.sink?.unavailableReason;
    if (!reason) return undefined;
    const why = reason.call(this.deps.sink, id);
    return why === undefined ? { available: true } : { available: false, reason: why };
  }

  /** The first read (at start): failures reach the caller. */
  load(): Promise<void> {
    return this.reload();
  }

  /**
   * Read the table again. Coalesced: while a read runs, further calls share
   * one more read that starts after it, so the last one to finish saw every
   * change committed before any of the calls.
   */
  reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.read();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async read(): Promise<void> {
    const definitions: DataSourceDefinition[] = await this.deps.store.list();
    this.definitions = definitions;
    this.byId = new Map(definitions.map((definition) => [definition.id, definition]));
    try {
      this.deps.sink?.replace(definitions);
    } catch (error) {
      // The sink's trouble (a pool that failed to close) must not keep the catalog from the new definitions.
      this.deps.logger.error('data sources: the new definitions could not be handed to the pools', { error: (error as Error).message });
    }
    this.deps.onLoaded?.();
  }
}
