import { type Context, Hono } from 'hono';
import { protectedResourceMetadata, protectedResourceMetadataPaths } from '../../auth/oauth/metadata.ts';
import type { OAuthSettings } from '../../auth/oauth/settings.ts';
import { AppError } from '../../shared/errors.ts';
import type { RestEnv } from '../env.ts';

export interface OAuthMetadataRoutesDeps {
  /** The server's current OAuth settings (read per request, so a changed `servers.auth` needs no remount); null = OAuth off. */
  settings: () => OAuthSettings | null | undefined;
  /** `resource_name` of the document (the server's name). */
  resourceName?: () => string | undefined;
}

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/**
 * RFC 9728 protected-resource metadata at `/.well-known/oauth-protected-resource`
 * and its path-inserted forms (`…/mcp`, and the audience's own path). Mount at
 * the listener's root, *beside* the REST app (before the Origin guard): the
 * document is public, and browser-based MCP clients read it cross-origin, so
 * it carries `Access-Control-Allow-Origin: *` like the SDK's own router.
 *
 * A server without OAuth settings answers 404 here — on purpose: some desktop
 * MCP clients stop sending their configured static headers (an API key) once
 * a server answers OAuth discovery, so discovery must fail where OAuth is off.
 */
export function oauthMetadataRoutes({ settings, resourceName }: OAuthMetadataRoutesDeps) {
  const app = new Hono<RestEnv>();

  const current = (c: Context<RestEnv>): OAuthSettings => {
    const value = settings();
    if (!value || !protectedResourceMetadataPaths(value).includes(trimmed(c.req.path))) {
      throw new AppError('not_found', `No route ${c.req.method} ${c.req.path.slice(0, 200)}`);
    }
    return value;
  };

  app.on(['GET', 'HEAD'], ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/*'], (c) => {
    const document = protectedResourceMetadata(current(c), { resourceName: resourceName?.() });
    c.header('Access-Control-Allow-Origin', '*');
    // Short: settings can change at runtime; clients re-read it after each 401 anyway.
    c.header('Cache-Control', 'public, max-age=60');
    return c.json(document);
  });

  app.options('/.well-known/oauth-protected-resource/*', preflight);
  app.options('/.well-known/oauth-protected-resource', preflight);

  // Other methods fall through to the listener's 404 (Toolport's AppError codes have no 405).

  function preflight(c: Context<RestEnv>) {
    current(c);
    const requested = c.req.header('access-control-request-headers');
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Methods', ALLOWED_METHODS);
    if (requested) {
      c.header('Access-Control-Allow-Headers', requested);
      c.header('Vary', 'Access-Control-Request-Headers');
    }
    return c.body(null, 204);
  }

  return app;
}

function trimmed(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
