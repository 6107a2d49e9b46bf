import type { ToolCatalog } from './catalog.ts';

/**
 * A catalog's changes → one callback, coalesced: a burst (a bulk import, a
 * reload touching many rows) becomes one list_changed per window instead of
 * one per row, and clients re-list once. The window is far below the 100 ms
 * within which subscribers must hear about a change.
 */
export const COALESCE_MS = 15;

export function onToolsChanged(catalog: Pick<ToolCatalog, 'subscribe'>, notify: () => void, windowMs = COALESCE_MS): () => void {
  let timer: NodeJS.Timeout | undefined;
  const unsubscribe = catalog.subscribe(() => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      notify();
    }, windowMs);
    timer.unref();
  });
  return () => {
    unsubscribe();
    clearTimeout(timer);
    timer = undefined;
  };
}
