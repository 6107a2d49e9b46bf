import type { Context } from 'hono';
import { Hono, type MiddlewareHandler } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Scope } from '../../auth/principal.ts';
import { allowsSome } from '../../auth/scopes.ts';
import type { CatalogView } from '../../registry/snapshot.ts';
import { onToolsChanged } from '../../registry/tool-change-events.ts';
import { AppError } from '../../shared/errors.ts';
import type { RestEnv } from '../env.ts';

/**
 * GET /changes: the registry changes of this server as server-sent events,
 * from any source (REST, SQL, another replica through the change feed). The
 * signal is the one MCP list_changed uses (the caller's scoped catalog,
 * coalesced by onToolsChanged): no database round trip per event. Each event
 * names the tools created, updated and deleted since the previous one, as
 * the caller sees them — a tool outside its scopes is never named — and
 * nothing else (no definitions, no secrets). A comment every
 * HEARTBEAT_MS keeps proxies from closing an idle stream.
 *
 *   event: ready    data: {"server":"finance","revision":3,"tools":12}
 *   event: tools    data: {"server":"finance","revision":4,"created":["a"],"updated":[],"deleted":[]}
 *   event: servers  data: {"servers":["finance"]}   (servers rows this process applied: created, changed, deleted; "all" after a resync)
 *   event: ended    data: {"server":"finance","reason":"…"}   (the credential was revoked or expired: the stream ends)
 */
export const HEARTBEAT_MS = 15_000;
/** Names per list in one event; a bigger change says `truncated: true` (re-list with GET /tools). */
export const MAX_NAMES = 1000;

export interface ChangesRoutesDeps {
  /** The name events carry as `server`. */
  server: string;
  /** The read guard of GET /tools (requireVisibility): the same scope, the same refusal. */
  reads: MiddlewareHandler<RestEnv>;
  /** Asked before each event and heartbeat: false (the key revoked, the session ended) ends the stream with an `ended` event. */
  stillAdmitted?: (c: Context<RestEnv>) => Promise<boolean>;
  /** Streams open at once on this app (TOOLPORT_MAX_CHANGE_STREAMS); one more is refused with 503. */
  maxStreams?: number;
  heartbeatMs?: number;
  /** Changes of the servers table this process applied: each is a `servers` event for a caller who may see one of them. */
  serverChanges?: ServerChangeSubscription | undefined;
}

/** The server ids a change touched, or 'all' (a full resync: any may have changed). */
export type ServerIds = readonly string[] | 'all';

/** Subscribe to server changes; the returned function unsubscribes. */
export type ServerChangeSubscription = (listener: (ids: ServerIds) => void) => () => void;

/**
 * What a caller hears of a server change: every id with the admin scope, else the ids of servers it may list
 * (a key for finance does not learn of other servers); `all` as is. Undefined: nothing for this caller.
 */
export function visibleServerIds(scopes: readonly Scope[], ids: ServerIds): ServerIds | undefined {
  if (ids === 'all') return 'all';
  const visible = ids.filter((id) => allowsSome(scopes, id, 'list'));
  return visible.length ? visible : undefined;
}

export interface ToolsChange {
  server: string;
  revision: number;
  created: string[];
  updated: string[];
  deleted: string[];
  truncated?: true;
}

/** What changed from one view to the next (entries are replaced on every change of their row); undefined when nothing did. */
export function diffViews(server: string, before: CatalogView | undefined, after: CatalogView | undefined): ToolsChange | undefined {
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  const previous = before?.tools;
  const next = after?.tools;
  if (next) {
    for (const [name, entry] of next) {
      const old = previous?.get(name);
      if (old === undefined) created.push(name);
      else if (old !== entry) updated.push(name);
    }
  }
  if (previous) for (const name of previous.keys()) if (!next?.has(name)) deleted.push(name);
  if (!created.length && !updated.length && !deleted.length) return undefined;
  const truncated = created.length > MAX_NAMES || updated.length > MAX_NAMES || deleted.length > MAX_NAMES;
  const names = (list: string[]) => list.sort().slice(0, MAX_NAMES);
  return {
    server,
    revision: after?.revision ?? before?.revision ?? 0,
    created: names(created),
    updated: names(updated),
    deleted: names(deleted),
    ...(truncated ? { truncated: true as const } : {}),
  };
}

export const DEFAULT_MAX_STREAMS = 1000;

export function changesRoutes({
  server,
  reads,
  stillAdmitted,
  maxStreams = DEFAULT_MAX_STREAMS,
  heartbeatMs = HEARTBEAT_MS,
  serverChanges,
}: ChangesRoutesDeps) {
  const app = new Hono<RestEnv>();
  let open = 0;

  app.get('/', reads, (c) => {
    if (open >= maxStreams) {
      throw new AppError(
        'unavailable',
        `Too many open change streams on this listener (${maxStreams}, TOOLPORT_MAX_CHANGE_STREAMS): close one, or retry later`,
      );
    }
    open++;
    // The caller's view: its subscription hears only changes to tools it sees.
    const catalog = c.get('catalog');
    const scopes = c.get('principal')?.scopes ?? [];
    const signal = c.req.raw.signal;
    return streamSSE(c, async (stream) => {
      let last = catalog.view();
      let changed = false;
      let beat = false;
      let closed = false;
      let wake: (() => void) | undefined;
      const poke = () => wake?.();
      const close = () => {
        closed = true;
        poke();
      };
      const unsubscribe = onToolsChanged(catalog, () => {
        changed = true;
        poke();
      });
      // Server ids changed since the last event (undefined: none; 'all': a resync).
      let servers: Set<string> | 'all' | undefined;
      const unsubscribeServers = serverChanges?.((ids) => {
        const visible = visibleServerIds(scopes, ids);
        if (visible === undefined) return;
        if (visible === 'all' || servers === 'all') servers = 'all';
        else {
          const pending: Set<string> = servers ?? new Set();
          for (const id of visible) pending.add(id);
          servers = pending;
        }
        poke();
      });
      const heartbeat = setInterval(() => {
        beat = true;
        poke();
      }, heartbeatMs);
      heartbeat.unref();
      stream.onAbort(close);
      signal.addEventListener('abort', close);
      try {
        await stream.writeSSE({ event: 'ready', data: JSON.stringify({ server, revision: last?.revision ?? 0, tools: last?.tools.size ?? 0 }) });
        // One writer: a slow client delays events, and the next one then covers everything changed meanwhile.
        while (!closed && !stream.aborted) {
          if (!changed && !beat && servers === undefined) await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          if (closed || stream.aborted) break;
          if (stillAdmitted && !(await stillAdmitted(c))) {
            await stream.writeSSE({
              event: 'ended',
              data: JSON.stringify({ server, reason: 'The credential of this stream is no longer valid (revoked, expired or signed out)' }),
            });
            break;
          }
          if (changed) {
            changed = false;
            const next = catalog.view();
            const change = diffViews(server, last, next);
            last = next;
            if (change) await stream.writeSSE({ event: 'tools', data: JSON.stringify(change) });
          }
          if (servers !== undefined) {
            const ids = servers === 'all' ? 'all' : [...servers].sort();
            servers = undefined;
            await stream.writeSSE({ event: 'servers', data: JSON.stringify({ servers: ids }) });
          }
          if (beat) {
            beat = false;
            await stream.write(': heartbeat\n\n');
          }
        }
      } finally {
        open--;
        unsubscribe();
        unsubscribeServers?.();
        clearInterval(heartbeat);
        signal.removeEventListener('abort', close);
      }
    });
  });

  return app;
}
