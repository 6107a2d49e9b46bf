import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../shared/errors.ts';
import { looksLikeKey } from './key-format.ts';
import type { KeyResolution } from './key-ring.ts';
import type { AuthPolicy } from './policy.ts';
import type { Principal } from './principal.ts';
import { ADMIN_SCOPE, parseScope } from './scopes.ts';

/**
 * One request's credential → its Principal, the same for every adapter (the
 * REST middleware here; MCP's /mcp with its JSON-RPC error body later):
 * `Authorization: Bearer <token>` is the admin token, an API key, or wrong;
 * no header is a loopback caller under `local-open`, refused otherwise. A
 * wrong credential is always refused — never downgraded to the open access
 * a caller without one would get.
 */
export interface CredentialDeps {
  policy: AuthPolicy;
  /** TOOLPORT_ADMIN_TOKEN: the bootstrap credential with the `admin` scope. */
  adminToken: string | undefined;
  /** The key ring (undefined: API keys are not accepted here). */
  keys: { resolve(presented: string): KeyResolution } | undefined;
}

export type CredentialOutcome =
  | { ok: true; principal: Principal }
  /** `challenge` is the WWW-Authenticate value to send with the 401. */
  | { ok: false; error: AppError; challenge: string };

export const ADMIN_TOKEN_PRINCIPAL: Principal = Object.freeze({
  kind: 'admin-token',
  actor: 'admin-token',
  name: 'admin-token',
  scopes: Object.freeze([ADMIN_SCOPE]),
});

/**
 * An unauthenticated loopback caller under local-open: it lists and calls
 * everything, and writes keep the rule they had before keys — open to
 * loopback while TOOLPORT_ADMIN_TOKEN is unset, the token's alone once set.
 */
export function localPrincipal(adminToken: string | undefined): Principal {
  const scopes = adminToken ? [parseScope('*:list'), parseScope('*:call')] : [parseScope('*:list'), parseScope('*:call'), ADMIN_SCOPE];
  return Object.freeze({ kind: 'local', actor: 'local', name: 'local', scopes: Object.freeze(scopes) });
}

const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;
const CHALLENGE = 'Bearer';
const INVALID_TOKEN = 'Bearer error="invalid_token"';

/** Constant time whatever the lengths: compares SHA-256 digests (equal length), so not even the token's length leaks. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function refused(message: string, challenge: string, reason: string): CredentialOutcome {
  return { ok: false, error: new AppError('unauthorized', message, { extra: { reason } }), challenge };
}

/** Build once per listener: the frozen principals are shared by every request. */
export function credentialResolver(deps: CredentialDeps) {
  const local = localPrincipal(deps.adminToken);
  const missing =
    deps.policy === 'required'
      ? 'This request needs a credential: send "Authorization: Bearer <API key>" (toolport keys create) or the admin token'
      : 'Callers from other machines need a credential: send "Authorization: Bearer <API key>" (toolport keys create) or the admin token';

  return function resolveCredential(authorization: string | undefined, loopback: () => boolean): CredentialOutcome {
    if (authorization === undefined || authorization.trim() === '') {
      if (deps.policy === 'local-open' && loopback()) return { ok: true, principal: local };
      return refused(missing, CHALLENGE, 'missing');
    }
    const match = BEARER.exec(authorization);
    if (!match) return refused('Malformed Authorization header: expected "Bearer <token>"', CHALLENGE, 'malformed');
    const token = match[1]!;
    if (deps.adminToken !== undefined && sameSecret(token, deps.adminToken)) return { ok: true, principal: ADMIN_TOKEN_PRINCIPAL };
    if (deps.keys && looksLikeKey(token)) {
      const resolved = deps.keys.resolve(token);
      if (resolved.ok) return resolved;
      return refused(resolved.message, INVALID_TOKEN, resolved.reason);
    }
    return refused('The bearer token is not a valid API key or the admin token', INVALID_TOKEN, 'unknown');
  };
}

export type ResolveCredential = ReturnType<typeof credentialResolver>;
