import type { Visibility } from '../auth/visibility.ts';
import type { ToolCatalog } from './catalog.ts';
import type { CatalogView } from './snapshot.ts';

/**
 * A catalog as one caller sees it: only the tools its scopes reach. A tool
 * outside them is absent from every list and resolves like a name that does
 * not exist, so its existence does not leak. Filtered views are built once
 * per (base view, visibility class) and kept while the base view lives
 * (views are replaced, never changed), so they are cache keys too: list
 * pages and the MCP fast path cache per filtered view. Subscribers hear
 * only about changes that alter what this caller sees.
 */
const filteredViews = new WeakMap<CatalogView, Map<string, CatalogView>>();

function filteredView(base: CatalogView, visibility: Visibility): CatalogView {
  let byKey = filteredViews.get(base);
  if (!byKey) filteredViews.set(base, (byKey = new Map()));
  let view = byKey.get(visibility.key);
  if (!view) {
    const ordered = base.ordered.filter((entry) => visibility.sees(entry.row.name, entry.row.serverId));
    view = Object.freeze({
      revision: base.revision,
      tools: new Map(ordered.map((entry) => [entry.name, entry])),
      ordered,
      available: base.available.filter((entry) => visibility.sees(entry.row.name, entry.row.serverId)),
      info: base.info,
    });
    byKey.set(visibility.key, view);
  }
  return view;
}

/** Whether two views show the same entries (entries are replaced on every change of their row): a change a subscriber need not hear of. */
export function sameEntries(a: CatalogView | undefined, b: CatalogView | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.ordered.length !== b.ordered.length) return false;
  if (a.info.name !== b.info.name || a.info.description !== b.info.description) return false;
  for (let index = 0; index < a.ordered.length; index++) if (a.ordered[index] !== b.ordered[index]) return false;
  return true;
}

/** `base` as a caller with `visibility` sees it; the base itself when it sees everything. */
export function scopedCatalog(base: ToolCatalog, visibility: Visibility): ToolCatalog {
  if (visibility.all) return base;
  const view = () => {
    const current = base.view();
    return current && filteredView(current, visibility);
  };
  return {
    label: base.label,
    writableServerId: base.writableServerId,
    view,
    resolve(name) {
      const entry = base.resolve(name);
      return entry && visibility.sees(entry.row.name, entry.row.serverId) ? entry : undefined;
    },
    visibility: (scopes) => base.visibility(scopes),
    subscribe(onChange) {
      let last = view();
      return base.subscribe(() => {
        const next = view();
        if (sameEntries(last, next)) return;
        last = next;
        onChange();
      });
    },
  };
}
