import picomatch from 'picomatch';
import type { Scope } from './principal.ts';

/**
 * Which tools of one server a caller can see (and so find in every list,
 * and call without being told "no such tool"): derived from its scopes once
 * per request, before any route or MCP method runs. A scope covering the
 * whole server (no tool glob: `finance:list`, `finance:call`,
 * `finance:write`, `*:call`, `admin`) sees everything; otherwise the union
 * of its tool globs for this server; with neither, nothing (the adapters
 * refuse such a request outright with 403 naming `<server>:list`).
 *
 * `key` names the class: callers with the same key see the same tools, so
 * they share filtered views, cached list pages and the MCP endpoint (its
 * sessions and change notifications). `all` and `none` are fixed keys.
 */
export interface Visibility {
  readonly key: string;
  readonly all: boolean;
  readonly none: boolean;
  /**
   * Whether the tool named `tool` (its row's name) is visible. `server` is
   * the tool's server: a server's own visibility ignores it (it is about one
   * server); a composed one (the gateway's /mcp) asks that server's.
   */
  sees(tool: string, server?: string): boolean;
}

export const SEES_ALL: Visibility = Object.freeze({ key: 'all', all: true, none: false, sees: () => true });
export const SEES_NONE: Visibility = Object.freeze({ key: 'none', all: false, none: true, sees: () => false });

/** Visibility classes by key: the same glob set compiles once per process (bounded). */
const compiled = new Map<string, Visibility>();
const MAX_COMPILED = 4096;

function coversServer(scope: Scope, server: string): boolean {
  return scope.action === 'admin' || scope.server === '*' || scope.server === server;
}

/**
 * By scope list, then server: a principal is built once per key (or token)
 * and reused, so every request after the first is two map lookups, not a
 * walk of its scopes. REST and /mcp both ask here.
 */
const byScopes = new WeakMap<readonly Scope[], Map<string, Visibility>>();

export function visibilityOf(scopes: readonly Scope[], server: string): Visibility {
  let byServer = byScopes.get(scopes);
  if (!byServer) byScopes.set(scopes, (byServer = new Map()));
  let visibility = byServer.get(server);
  if (!visibility) byServer.set(server, (visibility = computeVisibility(scopes, server)));
  return visibility;
}

function computeVisibility(scopes: readonly Scope[], server: string): Visibility {
  const globs = new Set<string>();
  for (const scope of scopes) {
    if (!coversServer(scope, server)) continue;
    // Every action implies `list` of what it covers (scopes.ts); a globbed grant covers only its tools.
    if (scope.toolGlob === undefined) return SEES_ALL;
    globs.add(scope.toolGlob);
  }
  if (globs.size === 0) return SEES_NONE;
  const sorted = [...globs].sort();
  const key = `globs:${JSON.stringify(sorted)}`;
  let visibility = compiled.get(key);
  if (!visibility) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    const matchers = sorted.map((glob) => picomatch(glob, { dot: true }));
    visibility = Object.freeze({ key, all: false, none: false, sees: (tool: string) => matchers.some((matches) => matches(tool)) });
    compiled.set(key, visibility);
  }
  return visibility;
}

/** A scope that reaches every server (bare `admin`, `*:<action>` without a tool glob) sees every tool of a composed view. */
function seesEverything(scopes: readonly Scope[]): boolean {
  return scopes.some((scope) => scope.action === 'admin' || (scope.server === '*' && scope.toolGlob === undefined));
}

const composedByScopes = new WeakMap<readonly Scope[], Visibility>();

/**
 * Which tools of a composed view (several servers' tools under prefixes,
 * plus the management tools of server `management`) a caller sees: each
 * tool as its own server's visibility says. `composed()` names the servers
 * composed now: a caller none of whose scopes reaches one of them (or
 * `management`) sees nothing, and is refused as on a server's own /mcp.
 * The class key is the caller's scope list, so callers with equal scopes
 * share list caches and MCP sessions.
 */
export function composedVisibilityOf(scopes: readonly Scope[], management: string, composed: () => ReadonlySet<string>): Visibility {
  let visibility = composedByScopes.get(scopes);
  if (visibility) return visibility;
  if (seesEverything(scopes)) visibility = SEES_ALL;
  else {
    const key = `composed:${JSON.stringify(scopes.map((scope) => `${scope.server}:${scope.action}:${scope.toolGlob ?? ''}`).sort())}`;
    visibility = Object.freeze({
      key,
      all: false,
      get none() {
        const servers = composed();
        return !scopes.some((scope) => scope.server === management || servers.has(scope.server));
      },
      sees: (tool: string, server?: string) => server !== undefined && visibilityOf(scopes, server).sees(tool),
    });
  }
  composedByScopes.set(scopes, visibility);
  return visibility;
}
