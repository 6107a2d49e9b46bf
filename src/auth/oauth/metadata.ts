import {
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  type OAuthMetadata,
  type OAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/server';
import type { OAuthSettings } from './settings.ts';

/**
 * RFC 9728 protected-resource metadata for a server with OAuth settings: the
 * document an MCP client fetches (after a 401 names it in
 * `WWW-Authenticate: Bearer resource_metadata="…"`, or by probing the
 * well-known paths) to learn which authorization server issues tokens for
 * this resource and which scopes exist. Built with the MCP SDK's own helpers
 * so the document and its URL are the ones the SDK clients expect.
 */

/** The root well-known path; the path-inserted form appends the resource URL's path (RFC 9728 §3.1). */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** Only the Authorization header: tokens in query strings end up in logs, form bodies do not fit JSON-RPC. */
export const BEARER_METHODS_SUPPORTED = ['header'] as const;

export interface ProtectedResourceDocumentOptions {
  /** `resource_name`, e.g. the server's name. */
  resourceName?: string;
  /** `resource_documentation`. */
  documentationUrl?: string;
}

/** The OAuth scopes a server understands: the mapping's keys plus the required ones (the `scopes_supported`). */
export function scopesSupported(settings: Pick<OAuthSettings, 'scopes' | 'requiredScopes'>): string[] {
  return [...new Set([...settings.requiredScopes, ...Object.keys(settings.scopes)])];
}

/** The metadata document (resource, authorization_servers, scopes_supported, bearer_methods_supported, …). */
export function protectedResourceMetadata(settings: OAuthSettings, options: ProtectedResourceDocumentOptions = {}): OAuthProtectedResourceMetadata {
  // The SDK helper reads only `issuer` of the authorization-server metadata (to put it in
  // authorization_servers, and to refuse a non-https issuer off loopback); clients fetch the
  // full AS metadata from the issuer themselves.
  const document = buildOAuthProtectedResourceMetadata({
    oauthMetadata: { issuer: settings.issuer } as OAuthMetadata,
    resourceServerUrl: new URL(settings.audience),
    scopesSupported: scopesSupported(settings),
    ...(options.resourceName ? { resourceName: options.resourceName } : {}),
    ...(options.documentationUrl ? { serviceDocumentationUrl: new URL(options.documentationUrl) } : {}),
  });
  // Drop the keys the SDK leaves undefined so the JSON is the same with or without them.
  const clean = Object.fromEntries(Object.entries(document).filter(([, value]) => value !== undefined)) as OAuthProtectedResourceMetadata;
  return { ...clean, bearer_methods_supported: [...BEARER_METHODS_SUPPORTED] };
}

/** The URL of the metadata document for this resource (path-inserted: https://host/mcp → https://host/.well-known/oauth-protected-resource/mcp). */
export function protectedResourceMetadataUrl(settings: Pick<OAuthSettings, 'audience'>): string {
  return getOAuthProtectedResourceMetadataUrl(new URL(settings.audience));
}

/**
 * The well-known paths a listener answers with the document: the root form,
 * the path-inserted form of the audience, and `/mcp`'s (every listener's MCP
 * endpoint), so clients that probe either way find it.
 */
export function protectedResourceMetadataPaths(settings: Pick<OAuthSettings, 'audience'>): string[] {
  const inserted = new URL(protectedResourceMetadataUrl(settings)).pathname;
  return [...new Set([PROTECTED_RESOURCE_METADATA_PATH, inserted, `${PROTECTED_RESOURCE_METADATA_PATH}/mcp`])];
}
