import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AccessControl } from '../../auth/access.ts';
import type { Principal } from '../../auth/principal.ts';
import { formatScope } from '../../auth/scopes.ts';
import { CSRF_HEADER, UI_SESSION_COOKIE, type UiSessions } from '../../auth/ui-sessions.ts';
import type { AuditEntry } from '../../observability/audit-entry.ts';
import { AppError } from '../../shared/errors.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { remoteIsLoopback } from '../middleware/credential.ts';

/**
 * /ui/session: the admin UI's sign-in. POST exchanges an API key or the
 * admin token (checked like an `Authorization: Bearer` header) for the
 * session cookie — HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS —
 * and answers who signed in and the session's CSRF token; GET answers the
 * same for the current cookie (or, with no cookie, whether this loopback
 * caller is let in without a credential under local-open); DELETE signs out
 * (CSRF token required). Sign-ins and refused sign-ins are audited.
 */
export interface UiSessionRoutesDeps {
  server: string;
  access: AccessControl;
  sessions: UiSessions;
  limits: BodyLimits;
  /** Where the UI is: `gateway` (every server under /<id>) or this server's own listener. */
  mode: 'gateway' | 'listener';
  record?: ((entry: AuditEntry) => void) | undefined;
}

function principalView(principal: Principal) {
  return {
    kind: principal.kind,
    actor: principal.actor,
    name: principal.name,
    scopes: principal.scopes.map(formatScope),
  };
}

/**
 * Whether the browser reached us over HTTPS: directly, or through a
 * TLS-terminating proxy that says so. Trusting the header can only add the
 * Secure flag (a cookie a plain-HTTP page then does not get back), never drop it.
 */
function overHttps(url: string, forwardedProto: string | undefined): boolean {
  if (new URL(url).protocol === 'https:') return true;
  return forwardedProto?.split(',')[0]?.trim().toLowerCase() === 'https';
}

export function uiSessionRoutes(deps: UiSessionRoutesDeps) {
  const { server, access, sessions } = deps;
  const app = new Hono<RestEnv>();
  const where = deps.mode === 'gateway' ? { mode: 'gateway' as const } : { mode: 'listener' as const, server };

  app.use('*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });

  app.get('/', async (c) => {
    const token = getCookie(c, UI_SESSION_COOKIE);
    if (token !== undefined) {
      const outcome = await sessions.authenticate(token);
      if (outcome.ok) {
        return c.json({ signedIn: true, ...where, principal: principalView(outcome.principal), csrf: sessions.csrfOf(token), expiresAt: outcome.expiresAt });
      }
      deleteCookie(c, UI_SESSION_COOKIE, { path: '/' });
    }
    // No session: a loopback caller under local-open is let in by the REST routes without a credential; say so.
    const open = await access.authenticate(server, undefined, () => remoteIsLoopback(c));
    if (open.ok) return c.json({ signedIn: false, ...where, principal: principalView(open.principal), csrf: null });
    return c.json({ signedIn: false, ...where, principal: null, csrf: null });
  });

  app.post('/', async (c) => {
    const body = await readJson(c, deps.limits);
    const presented = (body as { credential?: unknown } | null)?.credential;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new AppError('bad_request', 'Send a JSON object: {"credential": "<API key or admin token>"}');
    if (typeof presented !== 'string' || presented.trim() === '') {
      throw new AppError('bad_request', 'credential: required, the API key (tp_…) or the admin token', {
        details: [{ path: '/credential', message: 'required: a non-empty string' }],
      });
    }
    if (presented.length > 1024)
      throw new AppError('bad_request', 'credential: longer than 1024 characters', { details: [{ path: '/credential', message: 'too long' }] });
    const outcome = await access.authenticate(server, `Bearer ${presented.trim()}`, () => false);
    const requestId = c.get('requestId') ?? null;
    if (!outcome.ok || (outcome.principal.kind !== 'key' && outcome.principal.kind !== 'admin-token')) {
      deps.record?.({ action: 'ui.sign-in', actor: 'anonymous', requestId, serverId: server, outcome: 'unauthorized' });
      throw new AppError('unauthorized', 'Sign-in refused: that is not a valid API key or the admin token', { extra: { reason: 'sign-in' } });
    }
    const opened = await sessions.open(outcome.principal);
    setCookie(c, UI_SESSION_COOKIE, opened.token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: overHttps(c.req.url, c.req.header('x-forwarded-proto')),
      expires: opened.expiresAt,
    });
    const principal = outcome.principal;
    deps.record?.({ action: 'ui.sign-in', actor: principal.actor, actorName: principal.name, requestId, serverId: server, outcome: 'ok' });
    return c.json({ signedIn: true, ...where, principal: principalView(principal), csrf: opened.csrf, expiresAt: opened.expiresAt }, 201);
  });

  app.delete('/', async (c) => {
    const token = getCookie(c, UI_SESSION_COOKIE);
    if (token === undefined) return c.json({ signedOut: false, reason: 'no session cookie' });
    if (!sessions.csrfMatches(token, c.req.header(CSRF_HEADER))) {
      throw new AppError('forbidden', `Signing out needs the session's CSRF token in ${CSRF_HEADER}`, { extra: { reason: 'csrf' } });
    }
    const existed = await sessions.close(token);
    deleteCookie(c, UI_SESSION_COOKIE, { path: '/' });
    return c.json({ signedOut: existed });
  });

  return app;
}
