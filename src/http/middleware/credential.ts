import type { Context, MiddlewareHandler, Next } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AccessControl, AccessOutcome } from '../../auth/access.ts';
import { isLoopbackAddress } from '../../auth/policy.ts';
import type { Principal, ScopeAction } from '../../auth/principal.ts';
import { allows, neededScope } from '../../auth/scopes.ts';
import { CSRF_HEADER, UI_SESSION_COOKIE, type UiSessions } from '../../auth/ui-sessions.ts';
import { visibilityOf } from '../../auth/visibility.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import { scopedCatalog } from '../../registry/scoped-catalog.ts';
import { AppError } from '../../shared/errors.ts';
import type { RestEnv } from '../env.ts';

/**
 * Who is calling: AccessControl (auth/access.ts) turns `Authorization` —
 * the admin token, an API key, an OAuth access token, or none from loopback
 * under local-open — into a Principal, put on the context (`principal`,
 * `actor`) with this server's catalog as that caller sees it (`catalog`).
 * A refusal is thrown (the app's onError renders the usual error body; the
 * WWW-Authenticate header set here rides along).
 */

/** The caller's address is loopback; an in-process app.request() has no socket, so no remote caller. */
export function remoteIsLoopback(c: Context<RestEnv>): boolean {
  const incoming = c.env?.incoming;
  return incoming ? isLoopbackAddress(incoming.socket.remoteAddress) : true;
}

export interface CredentialScope {
  /** The listener's server id: whose OAuth settings apply, and whose tools the caller's visibility is about. */
  server: string;
  /** The server's catalog; the caller's filtered view of it is set as `catalog`. Without it, no `catalog` is set. */
  catalog?: ToolCatalog;
  /** Admin UI sessions: a request without `Authorization` may present the session cookie instead (with the CSRF header to change anything). */
  sessions?: UiSessions | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The admin UI session token a request presents instead of a credential: only without an `Authorization` header
 * (a header wins), only where sessions exist, and not on a server whose OAuth settings refuse keys.
 */
function sessionTokenOf(c: Context<RestEnv>, access: AccessControl, server: string, sessions: UiSessions | undefined): string | undefined {
  if (!sessions || c.req.header('authorization') !== undefined || c.req.header('cookie') === undefined) return undefined;
  if (access.oauthSettings(server)?.acceptKeys === false) return undefined;
  return getCookie(c, UI_SESSION_COOKIE);
}

export function credential(access: AccessControl, { server, catalog, sessions }: CredentialScope): MiddlewareHandler<RestEnv> {
  function admit(c: Context<RestEnv>, outcome: AccessOutcome, next: Next) {
    if (!outcome.ok) {
      if (outcome.challenge) c.header('WWW-Authenticate', outcome.challenge);
      throw outcome.error;
    }
    const { principal } = outcome;
    c.set('principal', principal);
    c.set('actor', principal.actor);
    if (catalog) c.set('catalog', scopedCatalog(catalog, catalog.visibility(principal.scopes)));
    return next();
  }
  async function fromSession(c: Context<RestEnv>, token: string, next: Next) {
    if (!SAFE_METHODS.has(c.req.method) && !sessions!.csrfMatches(token, c.req.header(CSRF_HEADER))) {
      throw new AppError('forbidden', `A request made with the admin UI's session cookie must carry the session's CSRF token in ${CSRF_HEADER}`, {
        extra: { reason: 'csrf' },
      });
    }
    const outcome = await sessions!.authenticate(token);
    return admit(c, outcome.ok ? { ok: true, principal: outcome.principal } : { ok: false, error: outcome.error, challenge: 'Bearer' }, next);
  }
  // Not async: an API key or the admin token resolves in memory, so the common case adds no promise.
  return function resolveCaller(c, next) {
    const token = sessionTokenOf(c, access, server, sessions);
    if (token !== undefined) return fromSession(c, token, next);
    const outcome = access.authenticate(server, c.req.header('authorization'), () => remoteIsLoopback(c));
    return outcome instanceof Promise ? outcome.then((settled) => admit(c, settled, next)) : admit(c, outcome, next);
  };
}

/**
 * Whether the credential a long-lived request (GET /changes) was admitted
 * with still admits it: a revoked or expired key, an ended session, an
 * expired OAuth token end the stream at its next event or heartbeat.
 */
export function stillAdmitted(access: AccessControl, { server, sessions }: Pick<CredentialScope, 'server' | 'sessions'>) {
  return async (c: Context<RestEnv>): Promise<boolean> => {
    const token = sessionTokenOf(c, access, server, sessions);
    if (token !== undefined) return (await sessions!.authenticate(token)).ok;
    return (await access.authenticate(server, c.req.header('authorization'), () => remoteIsLoopback(c))).ok;
  };
}

/** The WWW-Authenticate value of a 403 for a missing scope (AccessControl.insufficientScopeChallenge: with resource_metadata under OAuth). */
export type ScopeChallenge = (scope: string) => string;

const plainChallenge: ScopeChallenge = (scope) => `Bearer error="insufficient_scope", scope="${scope}"`;

/**
 * The refusal of a caller that lacks `scope`. A loopback caller without a
 * credential (local-open) gets a 401 — it has presented nothing yet, and a
 * credential is the way in —; any credential a 403 naming the scope, with
 * RFC 6750's insufficient_scope challenge.
 */
function lacking(c: Context<RestEnv>, principal: Principal, scope: string, challenge: ScopeChallenge, message: string): AppError {
  if (principal.kind === 'local') {
    c.header('WWW-Authenticate', 'Bearer');
    return new AppError('unauthorized', `${message}: send "Authorization: Bearer <API key with ${scope}>" (or the admin token)`, {
      extra: { scope, reason: 'missing' },
    });
  }
  c.header('WWW-Authenticate', challenge(scope));
  return new AppError('forbidden', `${message}, which this credential (${principal.name}) does not have`, { extra: { scope } });
}

function principalOf(c: Context<RestEnv>): Principal {
  const principal = c.get('principal');
  if (principal) return principal;
  // No credential middleware ran before this guard: fail closed.
  c.header('WWW-Authenticate', 'Bearer');
  throw new AppError('unauthorized', 'This request needs a credential: send "Authorization: Bearer <API key>"');
}

/**
 * Refuse a request whose caller lacks `action` (on `server`, when it is a
 * server's route; `*` for process-wide routes such as /keys): 403 naming the
 * scope needed.
 */
export function requireScope(action: ScopeAction, server = '*', challenge: ScopeChallenge = plainChallenge): MiddlewareHandler<RestEnv> {
  const needed = neededScope({ server, action });
  return function checkScope(c, next) {
    const principal = principalOf(c);
    if (!allows(principal.scopes, { server, action })) throw lacking(c, principal, needed, challenge, `This needs the scope "${needed}"`);
    return next();
  };
}

/** The same check inside a route, for a server the body names (POST /tools/packs/database's /server). */
export function assertScope(c: Context<RestEnv>, action: ScopeAction, server: string, challenge: ScopeChallenge = plainChallenge): void {
  const principal = principalOf(c);
  const needed = neededScope({ server, action });
  if (!allows(principal.scopes, { server, action })) throw lacking(c, principal, needed, challenge, `This needs the scope "${needed}"`);
}

/**
 * The read routes of a server (GET /tools…, POST /tools/call, /info,
 * /handlers): a caller whose scopes reach none of its tools is refused with
 * 403 naming `<server>:list`, rather than shown an empty server — its key
 * is for another server, and saying so is the useful answer.
 */
export function requireVisibility(
  server: string,
  challenge: ScopeChallenge = plainChallenge,
  catalog: Pick<ToolCatalog, 'visibility'> = { visibility: (scopes) => visibilityOf(scopes, server) },
): MiddlewareHandler<RestEnv> {
  const needed = neededScope({ server, action: 'list' });
  return function checkVisibility(c, next) {
    const principal = principalOf(c);
    if (catalog.visibility(principal.scopes).none) {
      throw lacking(
        c,
        principal,
        needed,
        challenge,
        `The tools of server "${server}" need the scope "${needed}" (or a ${server}:call or ${server}:write scope)`,
      );
    }
    return next();
  };
}
