import type { Registry, RegistryChange } from '../registry/registry.ts';

/**
 * Registry changes of one server → one callback, coalesced: a burst (a bulk
 * import, a reload touching many rows) becomes one list_changed per window
 * instead of one per row, and clients re-list once. The window is far below
 * the 100 ms within which subscribers must hear about a change.
 */
export const COALESCE_MS = 15;

export function onToolsChanged(registry: Registry, serverId: string, notify: () => void, windowMs = COALESCE_MS): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onChanged = (change: RegistryChange) => {
    // Scoped per server: a change on another port must reach none of this port's clients.
    if (change.serverId !== serverId || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      notify();
    }, windowMs);
    timer.unref();
  };
  registry.on('changed', onChanged);
  return () => {
    registry.off('changed', onChanged);
    clearTimeout(timer);
    timer = undefined;
  };
}
