import type { JWTPayload } from 'jose';
import type { Principal, Scope } from '../principal.ts';
import { mapOAuthScopes } from './scope-mapping.ts';
import { compileScopeMapping, type OAuthSettings } from './settings.ts';

/**
 * Verifies OAuth 2.1 access tokens (JWTs, RFC 9068) for one server, with
 * `jose`, and turns a good one into a Principal.
 *
 * - Keys: the issuer's JWKS through jose's createRemoteJWKSet, held in memory
 *   for `cacheMaxAgeMs`; a token whose `kid` is not in the cached set makes
 *   it fetch the set again (key rotation), but at most once per `cooldownMs`,
 *   so a stream of made-up `kid`s cannot turn into a stream of JWKS fetches.
 * - Algorithms: asymmetric ones only. `alg: none` is never accepted by
 *   jwtVerify, and a symmetric `HS256` token "signed" with the issuer's public
 *   key (algorithm confusion) is refused by the allow-list before any key is
 *   chosen — a JWKS public key is never used as an HMAC secret.
 * - Claims: `iss` must equal the configured issuer, `aud` must contain the
 *   configured audience (this server's resource URL, compared exactly), `exp`
 *   is required; `exp` and `nbf` are checked with a small clock tolerance.
 *
 * Tokens are never passed on: the verified token stays here — the Principal
 * carries only who the caller is and its Toolport scopes, and no handler
 * (http, sql, mcp-proxy) ever sees the Authorization header. Passing a
 * client's token to an upstream would let that upstream replay it against
 * Toolport (the MCP spec forbids token passthrough for this reason).
 */

/** Asymmetric JWS algorithms accepted. No `none`, no HS*: a public key must never double as a shared secret. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

/** Tokens beyond this are refused before any parsing (a header is at most ~16 KB in Node anyway). */
const MAX_TOKEN_LENGTH = 8192;

export type InvalidTokenReason =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'invalid_claim';

export type OAuthFailure =
  /** 401: no usable token. `reason` is for logs and the error_description; it never contains the token. */
  | { error: 'invalid_token'; reason: InvalidTokenReason; message: string }
  /** 403: a valid token without the OAuth scopes needed; `scopes` are the ones to ask for. */
  | { error: 'insufficient_scope'; scopes: string[]; message: string }
  /** 503: the JWKS could not be fetched (the authorization server is down or answered badly), so the token could not be checked. */
  | { error: 'unavailable'; message: string };

/** What was verified, beside the Principal (no raw token). */
export interface VerifiedToken {
  issuer: string;
  subject: string | undefined;
  clientId: string | undefined;
  /** The token's own OAuth scopes (`scope` or `scp`). */
  oauthScopes: string[];
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}

export type OAuthVerification = { ok: true; principal: Principal; token: VerifiedToken } | { ok: false; failure: OAuthFailure };

export interface OAuthVerifierOptions {
  /** Allowed clock skew for `exp` / `nbf`, seconds (default 30). */
  clockToleranceSec?: number;
  /** Least time between two JWKS fetches caused by an unknown `kid`, ms (default 30 000). */
  cooldownMs?: number;
  /** How long a fetched JWKS is used before it is fetched again, ms (default 600 000). */
  cacheMaxAgeMs?: number;
  /** Time limit of one JWKS fetch, ms (default 5 000). */
  timeoutMs?: number;
}

export interface OAuthVerifier {
  readonly settings: OAuthSettings;
  verify(token: string): Promise<OAuthVerification>;
}

/** jose, imported on the first token: a process without OAuth never loads it (46 modules). */
let jose: Promise<typeof import('jose')> | undefined;

export function createOAuthVerifier(settings: OAuthSettings, options: OAuthVerifierOptions = {}): OAuthVerifier {
  let jwks: ReturnType<typeof import('jose')['createRemoteJWKSet']> | undefined;
  const mapping = compileScopeMapping(settings);
  const verifyOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: [...ACCEPTED_ALGORITHMS],
    clockTolerance: options.clockToleranceSec ?? 30,
    requiredClaims: ['exp'],
  };

  async function verify(token: string): Promise<OAuthVerification> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return invalid('malformed', 'The access token is empty or too long');
    jose ??= import('jose');
    const { createRemoteJWKSet, errors, jwtVerify } = await jose;
    jwks ??= createRemoteJWKSet(new URL(settings.jwksUrl), {
      cooldownDuration: options.cooldownMs ?? 30_000,
      cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
      timeoutDuration: options.timeoutMs ?? 5_000,
    });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, verifyOptions));
    } catch (error) {
      return { ok: false, failure: classify(error, errors) };
    }
    return admit(payload);
  }

  function admit(payload: JWTPayload): OAuthVerification {
    const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    const clientId = typeof payload.client_id === 'string' && payload.client_id !== '' ? payload.client_id : undefined;
    const who = subject ?? clientId;
    if (who === undefined) return invalid('missing_claim', 'The access token has neither "sub" nor "client_id"');
    const oauthScopes = tokenScopes(payload);
    if (oauthScopes === undefined) return invalid('invalid_claim', 'The access token\'s "scope" must be a space-separated string ("scp": a string array)');
    const missing = settings.requiredScopes.filter((scope) => !oauthScopes.includes(scope));
    if (missing.length > 0) {
      return {
        ok: false,
        failure: { error: 'insufficient_scope', scopes: settings.requiredScopes, message: `The access token lacks the scope ${missing.join(' ')}` },
      };
    }
    const scopes: Scope[] = mapOAuthScopes(oauthScopes, mapping);
    if (scopes.length === 0) {
      const known = [...mapping.keys()];
      return {
        ok: false,
        failure: { error: 'insufficient_scope', scopes: known, message: `The access token grants none of this server's scopes (${known.join(' ')})` },
      };
    }
    return {
      ok: true,
      principal: { kind: 'oauth', actor: `oauth:${settings.issuer}#${who}`, name: who, scopes },
      token: { issuer: settings.issuer, subject, clientId, oauthScopes, expiresAt: payload.exp as number },
    };
  }

  return { settings, verify };
}

/** `scope` (RFC 9068: space-separated) or `scp` (Azure AD / Okta: an array, sometimes a string); undefined = malformed. */
function tokenScopes(payload: JWTPayload): string[] | undefined {
  const value = payload.scope ?? payload.scp;
  if (value === undefined) return [];
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.flatMap((item: string) => item.split(' ')).filter(Boolean);
  return undefined;
}

function invalid(reason: InvalidTokenReason, message: string): OAuthVerification {
  return { ok: false, failure: { error: 'invalid_token', reason, message } };
}

/** jose's errors → a failure. Messages are ours (fixed text), so nothing of the token or the JWKS response reaches a client. */
function classify(error: unknown, errors: typeof import('jose')['errors']): OAuthFailure {
  const fail = (reason: InvalidTokenReason, message: string): OAuthFailure => ({ error: 'invalid_token', reason, message });
  if (error instanceof errors.JWTExpired) return fail('expired', 'The access token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return fail('wrong_issuer', "The access token was not issued by this server's authorization server");
    if (error.claim === 'aud') return fail('wrong_audience', 'The access token was not issued for this resource');
    if (error.claim === 'nbf') return fail('not_yet_valid', 'The access token is not valid yet');
    if (error.reason === 'missing') return fail('missing_claim', `The access token has no "${error.claim}" claim`);
    return fail('invalid_claim', `The access token's "${error.claim}" claim is invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return fail('algorithm_not_allowed', `The access token's signing algorithm is not accepted (accepted: ${ACCEPTED_ALGORITHMS.join(', ')})`);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return fail('unknown_key', 'The access token was signed with a key the authorization server does not publish');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return fail('bad_signature', "The access token's signature is invalid");
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return fail('malformed', 'The access token is not a well-formed signed JWT');
  // Anything else is the JWKS fetch: a timeout, a connection error, a non-200 or non-JWKS answer.
  return { error: 'unavailable', message: "The authorization server's signing keys could not be fetched; try again later" };
}
