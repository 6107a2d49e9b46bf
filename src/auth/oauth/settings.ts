import * as v from 'valibot';
import { parseOrThrow } from '../../shared/validation.ts';
import type { Scope } from '../principal.ts';
import { parseToolportScope } from './scope-mapping.ts';

/**
 * A server's OAuth settings: the `servers.auth` column (null = the server
 * takes no OAuth tokens). Toolport is an OAuth 2.1 *resource server* here:
 * an external authorization server issues JWT access tokens for the
 * `audience` (this server's resource URL, RFC 8707), Toolport verifies them
 * against the issuer's JWKS and maps their OAuth scopes to Toolport scopes.
 *
 * URLs must be https. Plain http is accepted only for a loopback host
 * (localhost, 127.0.0.1) — the local authorization-server stand-in of
 * the tests and local trials; never use it in production (the same rule the
 * MCP SDK applies to issuer URLs).
 *
 * Stored shape (JSON):
 *
 *   { "issuer": "https://auth.example.com",
 *     "audience": "https://tools.example.com/mcp",
 *     "jwksUrl": "https://auth.example.com/.well-known/jwks.json",
 *     "scopes": { "finance.read": ["finance:list", "finance:call:get_*"], "finance.admin": "finance:write" },
 *     "requiredScopes": ["mcp"],
 *     "acceptKeys": true }
 */

export interface OAuthSettings {
  /** The authorization server's issuer identifier; tokens must carry exactly this `iss`. */
  issuer: string;
  /** This server's resource URL; tokens must name it in `aud`. Also the `resource` of the protected-resource metadata. */
  audience: string;
  /** Where the issuer publishes its signing keys (JWKS). */
  jwksUrl: string;
  /** OAuth scope → the Toolport scopes it grants (`<server|*>:<action>[:<tool-glob>]` or `admin`). */
  scopes: Record<string, string[]>;
  /** OAuth scopes every token must carry (403 insufficient_scope otherwise). */
  requiredScopes: string[];
  /** Whether API keys (and the admin token) still work on this server beside OAuth. */
  acceptKeys: boolean;
}

/** The hosts the MCP SDK also lets an issuer use over http (buildOAuthProtectedResourceMetadata's check). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1']);
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/;

/** Why a URL is not acceptable here, or undefined when it is. */
function urlProblem(text: string, { noQuery }: { noQuery: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not have a fragment';
  if (noQuery && url.search) return 'must not have a query string';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  if (url.protocol === 'http:') return 'must be https (http only for localhost / 127.0.0.1, for local testing)';
  return 'must be an https URL';
}

const httpsUrl = (noQuery: boolean) =>
  v.pipe(
    v.string('must be a string'),
    v.maxLength(2048, 'must be at most 2048 characters'),
    v.check(
      (text) => urlProblem(text, { noQuery }) === undefined,
      (issue) => urlProblem(String(issue.input), { noQuery }) ?? 'is not a valid URL',
    ),
  );

const scopeToken = v.pipe(
  v.string('must be a string'),
  v.regex(SCOPE_TOKEN, 'must be an OAuth scope token (printable ASCII, no spaces, quotes or backslashes)'),
);

const toolportScope = v.pipe(
  v.string('must be a string'),
  v.check(
    (text) => typeof parseToolportScope(text) !== 'string',
    (issue) => {
      const problem = parseToolportScope(String(issue.input));
      return typeof problem === 'string' ? problem : 'is not a Toolport scope';
    },
  ),
);

const FIELDS = 'issuer, audience, jwksUrl, scopes, requiredScopes, acceptKeys';

export const OAuthSettingsSchema = v.strictObject(
  {
    issuer: httpsUrl(true),
    audience: httpsUrl(false),
    jwksUrl: httpsUrl(false),
    scopes: v.pipe(
      v.record(
        scopeToken,
        // One string or an array: both become an array first, so an issue names the item (…/scopes/read/0).
        v.pipe(
          v.union([v.string(), v.array(v.unknown())], 'must be a Toolport scope string or an array of them'),
          v.transform((value): unknown[] => (Array.isArray(value) ? value : [value])),
          v.array(toolportScope),
          v.minLength(1, 'must not be empty'),
        ),
        'must be an object mapping OAuth scopes to Toolport scopes',
      ),
      v.check((record) => Object.keys(record).length > 0, 'must map at least one OAuth scope'),
    ),
    requiredScopes: v.optional(v.array(scopeToken, 'must be an array of OAuth scopes'), []),
    acceptKeys: v.optional(v.boolean('must be true or false'), true),
  },
  (issue) => (issue.expected === 'never' ? `is not a known field (known: ${FIELDS})` : 'must be a JSON object'),
);

/** Parse `servers.auth` (or a write's `auth` field); throws bad_request naming the field path, e.g. "/auth/issuer must be https…". */
export function parseOAuthSettings(value: unknown, prefix = '/auth'): OAuthSettings {
  return parseOrThrow(OAuthSettingsSchema, value, 'OAuth settings', prefix) as OAuthSettings;
}

/** The mapping with its Toolport scopes parsed (settings are validated first, so every entry parses). */
export function compileScopeMapping(settings: Pick<OAuthSettings, 'scopes'>): Map<string, Scope[]> {
  const mapping = new Map<string, Scope[]>();
  for (const [oauthScope, grants] of Object.entries(settings.scopes)) {
    mapping.set(
      oauthScope,
      grants.map((text) => {
        const scope = parseToolportScope(text);
        if (typeof scope === 'string') throw new Error(`OAuth scope mapping ${oauthScope}: ${text} ${scope}`);
        return scope;
      }),
    );
  }
  return mapping;
}
