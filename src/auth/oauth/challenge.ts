import { protectedResourceMetadataUrl, scopesSupported } from './metadata.ts';
import type { OAuthSettings } from './settings.ts';
import type { OAuthFailure } from './verifier.ts';

/**
 * The `WWW-Authenticate: Bearer …` challenges (RFC 6750 §3, RFC 9728 §5.1,
 * MCP authorization "Protected Resource Metadata Discovery"):
 *
 *   no credential   401  Bearer resource_metadata="…", scope="…"
 *   bad token       401  Bearer error="invalid_token", error_description="…", resource_metadata="…", scope="…"
 *   too few scopes  403  Bearer error="insufficient_scope", error_description="…", resource_metadata="…", scope="…"
 *
 * A request without any credential gets no `error` (RFC 6750 §3.1 says not
 * to include one), which is also the form the MCP spec shows. The MCP SDK's
 * bearerAuthChallengeResponse always adds error="invalid_token" and builds a
 * whole Response with an OAuth error body, while Toolport answers in its own
 * envelope (REST) or JSON-RPC (/mcp); so the header is formatted here, with
 * the SDK's quoting rule (`\` and `"` escaped, non-printable characters
 * replaced) so both read the same to a client.
 */

export type ChallengeError = 'invalid_token' | 'insufficient_scope';

export interface BearerChallenge {
  resourceMetadataUrl: string;
  /** Scopes to ask the authorization server for (`scope="a b"`); omitted when empty. */
  scopes?: readonly string[];
  error?: ChallengeError;
  description?: string;
}

function quoted(value: string): string {
  return `"${value.replaceAll(/[\\"]/g, (char) => `\\${char}`).replaceAll(/[^\u0020-\u007E]/g, ' ')}"`;
}

/** The header value for one challenge. */
export function wwwAuthenticate(challenge: BearerChallenge): string {
  const params: string[] = [];
  if (challenge.error) params.push(`error=${quoted(challenge.error)}`);
  if (challenge.error && challenge.description) params.push(`error_description=${quoted(challenge.description)}`);
  params.push(`resource_metadata=${quoted(challenge.resourceMetadataUrl)}`);
  if (challenge.scopes && challenge.scopes.length > 0) params.push(`scope=${quoted(challenge.scopes.join(' '))}`);
  return `Bearer ${params.join(', ')}`;
}

export interface ChallengeAnswer {
  /** 401, 403, or 503 when the authorization server's keys could not be fetched. */
  status: 401 | 403 | 503;
  /** The WWW-Authenticate value (none on 503: the client did nothing wrong). */
  header: string | undefined;
  /** Toolport's error code for the body: unauthorized, forbidden, unavailable. */
  code: 'unauthorized' | 'forbidden' | 'unavailable';
  message: string;
}

/**
 * What to answer for a request to a server with OAuth settings that did not
 * get through: `failure` undefined = it sent no credential at all. The 401's
 * scope hint is the server's required scopes, or all it supports.
 */
export function challengeFor(settings: OAuthSettings, failure?: OAuthFailure): ChallengeAnswer {
  const resourceMetadataUrl = protectedResourceMetadataUrl(settings);
  const hint = settings.requiredScopes.length > 0 ? settings.requiredScopes : scopesSupported(settings);
  if (failure === undefined) {
    return {
      status: 401,
      code: 'unauthorized',
      message: 'This server needs an OAuth access token: send "Authorization: Bearer <token>"',
      header: wwwAuthenticate({ resourceMetadataUrl, scopes: hint }),
    };
  }
  if (failure.error === 'invalid_token') {
    return {
      status: 401,
      code: 'unauthorized',
      message: failure.message,
      header: wwwAuthenticate({ resourceMetadataUrl, scopes: hint, error: 'invalid_token', description: failure.message }),
    };
  }
  if (failure.error === 'insufficient_scope') {
    return {
      status: 403,
      code: 'forbidden',
      message: failure.message,
      header: wwwAuthenticate({ resourceMetadataUrl, scopes: failure.scopes, error: 'insufficient_scope', description: failure.message }),
    };
  }
  return { status: 503, code: 'unavailable', message: failure.message, header: undefined };
}

/**
 * The 403 for an authenticated OAuth caller that lacks what one operation
 * needs (the scope layer decides that): `oauthScopes` are the OAuth scopes
 * whose mapping would grant it, so the client can step up.
 */
export function insufficientScope(
  settings: OAuthSettings,
  oauthScopes: readonly string[],
  description = 'The access token lacks the scope this operation needs',
): string {
  return wwwAuthenticate({ resourceMetadataUrl: protectedResourceMetadataUrl(settings), scopes: oauthScopes, error: 'insufficient_scope', description });
}

/** The token of an `Authorization: Bearer <token>` header, or undefined (no header, another scheme, or an empty token). */
export function bearerToken(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i.exec(header);
  return match ? match[1] : undefined;
}
