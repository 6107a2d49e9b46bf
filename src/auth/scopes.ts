import picomatch from 'picomatch';
import { AppError, type FieldIssue } from '../shared/errors.ts';
import { SCOPE_ACTIONS, type Scope, type ScopeAction } from './principal.ts';

/**
 * Scopes: `<server|*>:<action>[:<tool-glob>]` and the bare `admin`.
 *
 * What implies what (decided here, once, for REST and MCP alike):
 * - `admin` implies everything, on every server.
 * - `call` implies `list` of the same tools: a caller that may call a tool
 *   must be able to find it (an MCP client calls only what tools/list
 *   showed), so `finance:call` alone is a working agent key.
 * - `write` implies `list` of that server: a writer reads what it changes
 *   (GET /tools/:name for the version an If-Match needs, imports diffing
 *   against what exists). It does NOT imply `call`: deploying tool
 *   definitions (a CI key) is not running them (which may spend money or
 *   reach data).
 * - `list` implies nothing else; nothing implies `admin`.
 *
 * Tool globs (picomatch, over tool names) apply to `list` and `call` only:
 * `write` covers a whole server, because an import or a rename can create a
 * tool under any name, and a glob there would promise a boundary it cannot
 * hold.
 */

/** A server id as servers.id allows it, or `*` for every server. */
const SERVER_PART = /^(\*|[a-z0-9][a-z0-9_-]{0,63})$/;
/** Tool-name characters (MCP rule: A–Z a–z 0–9 _ . -) plus picomatch's glob syntax. */
const GLOB_PART = /^[A-Za-z0-9_.\-*?[\]{},!()+@|^]{1,128}$/;
const MAX_SCOPE_TEXT = 200;

export const ADMIN_SCOPE: Scope = Object.freeze({ server: '*', action: 'admin' });

/** A refused scope text: the message names the text and why. */
export class ScopeError extends AppError {
  constructor(
    readonly scopeText: string,
    reason: string,
  ) {
    super('bad_request', `Scope ${JSON.stringify(shorten(scopeText))} is not valid: ${reason}`);
  }
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

const USAGE = 'write <server|*>:<list|call|write>[:<tool-glob>] or admin (e.g. finance:call, *:list, utility:call:get_*)';

export function parseScope(text: string): Scope {
  if (typeof text !== 'string') throw new ScopeError(String(text), `a scope is text: ${USAGE}`);
  const trimmed = text.trim();
  if (trimmed === '') throw new ScopeError(text, `it is empty: ${USAGE}`);
  if (trimmed.length > MAX_SCOPE_TEXT) throw new ScopeError(text, `it is longer than ${MAX_SCOPE_TEXT} characters`);
  if (trimmed === 'admin') return ADMIN_SCOPE;
  const parts = trimmed.split(':');
  if (parts.length < 2 || parts.length > 3) throw new ScopeError(text, `expected 2 or 3 parts separated by ":": ${USAGE}`);
  const [server, action, toolGlob] = parts as [string, string, string | undefined];
  if (!SERVER_PART.test(server)) {
    throw new ScopeError(text, `the server "${shorten(server)}" must be * or a server id (lowercase letters, digits, "_" and "-", at most 64)`);
  }
  if (action === 'admin') throw new ScopeError(text, 'admin is granted only as the bare scope "admin" (it covers every server)');
  if (!(SCOPE_ACTIONS as readonly string[]).includes(action)) {
    throw new ScopeError(text, `the action "${shorten(action)}" must be one of list, call, write (or the bare scope admin)`);
  }
  if (toolGlob === undefined) return { server, action: action as ScopeAction };
  if (action === 'write') throw new ScopeError(text, 'write covers a whole server: tool globs apply to list and call only');
  if (!GLOB_PART.test(toolGlob)) {
    throw new ScopeError(text, 'the tool glob must be 1–128 characters of tool-name characters (A–Z a–z 0–9 _ . -) and glob syntax (* ? [ ] { } , !)');
  }
  if (toolGlob === '*' || toolGlob === '**') return { server, action: action as ScopeAction }; // the same grant, one canonical form
  return { server, action: action as ScopeAction, toolGlob };
}

/** Several scopes (a key's, a request body's): every bad one reported, each at `<path>/<index>`; duplicates dropped. */
export function parseScopes(texts: readonly string[], path = '/scopes'): Scope[] {
  const scopes: Scope[] = [];
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  texts.forEach((text, index) => {
    try {
      const scope = parseScope(text);
      const key = formatScope(scope);
      if (!seen.has(key)) {
        seen.add(key);
        scopes.push(scope);
      }
    } catch (error) {
      if (!(error instanceof ScopeError)) throw error;
      issues.push({ path: `${path}/${index}`, message: error.message });
    }
  });
  if (issues.length === 1) throw new AppError('bad_request', issues[0]!.message, { details: issues });
  if (issues.length) throw new AppError('bad_request', `${issues.length} scopes are not valid`, { details: issues });
  if (scopes.length === 0) throw new AppError('bad_request', `At least one scope is needed: ${USAGE}`, { details: [{ path, message: 'is empty' }] });
  return scopes;
}

export function formatScope(scope: Scope): string {
  if (scope.action === 'admin') return 'admin';
  return scope.toolGlob === undefined ? `${scope.server}:${scope.action}` : `${scope.server}:${scope.action}:${scope.toolGlob}`;
}

export function formatScopes(scopes: readonly Scope[]): string[] {
  return scopes.map(formatScope);
}

/**
 * Compiled globs, by glob text: the call path asks on every request and
 * picomatch compiles to a RegExp, so compile each glob once. Globs come from
 * stored keys and configured mappings (few); the cap only bounds a misuse.
 */
const matchers = new Map<string, (name: string) => boolean>();
const MAX_MATCHERS = 10_000;

function globMatches(glob: string, tool: string): boolean {
  let matcher = matchers.get(glob);
  if (!matcher) {
    if (matchers.size >= MAX_MATCHERS) matchers.clear();
    matcher = picomatch(glob, { dot: true });
    matchers.set(glob, matcher);
  }
  return matcher(tool);
}

export interface ScopeRequest {
  server: string;
  action: ScopeAction;
  /** The tool concerned; undefined = the server as a whole (a globbed scope does not cover that). */
  tool?: string;
}

/** Whether this one grant covers the action (see the implications at the top). */
function actionCovered(granted: ScopeAction, asked: ScopeAction): boolean {
  if (granted === asked) return true;
  return asked === 'list' && (granted === 'call' || granted === 'write');
}

function grants(scope: Scope, request: ScopeRequest): boolean {
  if (scope.action === 'admin') return true;
  if (scope.server !== '*' && scope.server !== request.server) return false;
  if (!actionCovered(scope.action, request.action)) return false;
  if (scope.toolGlob === undefined) return true;
  return request.tool !== undefined && globMatches(scope.toolGlob, request.tool);
}

/** Whether the scopes allow `action` on `server` (and on `tool`, when given). */
export function allows(scopes: readonly Scope[], request: ScopeRequest): boolean {
  for (const scope of scopes) if (grants(scope, request)) return true;
  return false;
}

/** Whether a tool exists for this caller: it appears in lists, and a call of one that does not answers like an unknown tool. */
export function visibleTool(scopes: readonly Scope[], server: string, tool: string): boolean {
  return allows(scopes, { server, action: 'list', tool });
}

/** Whether the scopes grant `action` on at least some tool of `server` (a globbed grant counts): e.g. whether a server is reachable at all. */
export function allowsSome(scopes: readonly Scope[], server: string, action: ScopeAction): boolean {
  for (const scope of scopes) {
    if (scope.action === 'admin') return true;
    if ((scope.server === '*' || scope.server === server) && actionCovered(scope.action, action)) return true;
  }
  return false;
}

/** The scope text a refused request needed, for a 403 message: `finance:write`, `admin`. */
export function neededScope(request: ScopeRequest): string {
  if (request.action === 'admin') return 'admin';
  return `${request.server}:${request.action}`;
}
