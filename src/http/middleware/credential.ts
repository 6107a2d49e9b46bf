import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { type CredentialDeps, credentialResolver } from '../../auth/credential.ts';
import type { ScopeAction } from '../../auth/principal.ts';
import { allows, neededScope } from '../../auth/scopes.ts';
import { AppError } from '../../shared/errors.ts';
import type { RestEnv } from '../env.ts';
import { isLoopback } from './admin-auth.ts';

/**
 * Who is calling: resolves `Authorization: Bearer …` (the admin token, an API
 * key through the key ring — no database round trip) or, under local-open,
 * a loopback caller without one, and puts the Principal on the context
 * (`principal`, and `actor` for the write routes). Anything else is a 401
 * with `WWW-Authenticate` and the usual error body (thrown: the app's
 * onError renders it, the header set here rides along).
 */
export interface CredentialOptions extends CredentialDeps {
  /** The WWW-Authenticate value of a 401 (default: what the resolver says, `Bearer` or `Bearer error="invalid_token"`); OAuth adds resource_metadata here. */
  challenge?: (fromResolver: string) => string;
}

function remoteIsLoopback(c: Context<RestEnv>): boolean {
  try {
    return isLoopback(getConnInfo(c).remote.address);
  } catch {
    return true; // app.request() in-process: no socket, so no remote caller (as adminAuth)
  }
}

export function credential(options: CredentialOptions): MiddlewareHandler<RestEnv> {
  const resolve = credentialResolver(options);
  return async function resolveCaller(c, next) {
    const outcome = resolve(c.req.header('authorization'), () => remoteIsLoopback(c));
    if (!outcome.ok) {
      c.header('WWW-Authenticate', options.challenge ? options.challenge(outcome.challenge) : outcome.challenge);
      throw outcome.error;
    }
    c.set('principal', outcome.principal);
    c.set('actor', outcome.principal.actor);
    await next();
  };
}

/**
 * Refuse a request whose caller lacks `action` (on `server`, when it is a
 * server's route): 403 naming the scope needed, with RFC 6750's
 * insufficient_scope challenge. Without a principal (no credential
 * middleware ran) it refuses too: fail closed.
 */
export function requireScope(action: ScopeAction, server = '*'): MiddlewareHandler<RestEnv> {
  const needed = neededScope({ server, action });
  return async function checkScope(c, next) {
    const principal = c.get('principal');
    if (!principal) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new AppError('unauthorized', 'This request needs a credential: send "Authorization: Bearer <API key>"');
    }
    if (!allows(principal.scopes, { server, action })) {
      c.header('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${needed}"`);
      throw new AppError('forbidden', `This needs the scope "${needed}", which this credential (${principal.name}) does not have`, {
        extra: { scope: needed },
      });
    }
    await next();
  };
}
