import type { Scope } from '../auth/principal.ts';
import { type Visibility, visibilityOf } from '../auth/visibility.ts';
import type { Registry, RegistryChange } from './registry.ts';
import type { CatalogView, ToolEntry } from './snapshot.ts';

/**
 * What an adapter (REST routes, the MCP endpoint, stdio, tools/list pages,
 * the fast path, change notifications) is given instead of a server id: the
 * tools visible here, how to resolve a name, and when they change. Today a
 * catalog is one server's snapshot; an aggregate of several servers (with
 * name prefixes) implements the same interface. The view is immutable and
 * replaced on change, so adapters use it as their cache key.
 */
export interface ToolCatalog {
  /** Says which tools these are in messages: `server "finance"`. */
  readonly label: string;
  /** The server a write through this catalog goes to (undefined when the catalog is read-only). */
  readonly writableServerId: string | undefined;
  view(): CatalogView | undefined;
  resolve(name: string): ToolEntry | undefined;
  /** Which of these tools a caller with `scopes` sees (cached per scope list: cheap per request). */
  visibility(scopes: readonly Scope[]): Visibility;
  /** Called on every change of the view (not coalesced); returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
}

/** The catalog of one server: its own tools under their own names. */
export function serverCatalog(registry: Registry, serverId: string): ToolCatalog {
  return {
    label: `server "${serverId}"`,
    writableServerId: serverId,
    view: () => registry.snapshot(serverId),
    resolve: (name) => registry.snapshot(serverId)?.tools.get(name),
    visibility: (scopes) => visibilityOf(scopes, serverId),
    subscribe(onChange) {
      // Scoped per server: a change on another port must reach none of this catalog's clients.
      const listener = (change: RegistryChange) => {
        if (change.serverId === serverId) onChange();
      };
      registry.on('changed', listener);
      return () => registry.off('changed', listener);
    },
  };
}
