import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { Scalar } from '@scalar/hono-api-reference';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { AccessControl } from '../../auth/access.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import { scopedCatalog } from '../../registry/scoped-catalog.ts';
import type { CatalogView } from '../../registry/snapshot.ts';
import type { RestEnv } from '../env.ts';
import { remoteIsLoopback } from '../middleware/credential.ts';
import { type DocumentShape, openApiDocument } from '../openapi/document.ts';

export interface DocsRoutesDeps {
  shape: DocumentShape;
  /** The listener's whole catalog: the caller's view of it fills the /tools/call body. */
  catalog: ToolCatalog;
  access: AccessControl;
}

/** The Scalar bundle the page loads, from the installed npm package (never a CDN), read once and kept with its gzip form. */
let bundle: Promise<{ plain: Buffer; gzip: Buffer; etag: string }> | undefined;
function scalarBundle() {
  bundle ??= readFile(createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js')).then((plain) => ({
    plain,
    gzip: gzipSync(plain),
    etag: `"${plain.length.toString(36)}-${plain.subarray(-64).toString('hex').slice(0, 16)}"`,
  }));
  return bundle;
}

/**
 * GET /openapi.json, /docs and /docs/scalar.js: public, like the page of a
 * product's API. What a caller may call is not: the /tools/call body lists
 * the tools of the caller's view (the credential it sends, or local-open
 * from loopback); without a credential a keyed server shows the plain body.
 * A credential that is sent and refused is refused here too (401).
 */
export function docsRoutes({ shape, catalog, access }: DocsRoutesDeps) {
  const app = new Hono<RestEnv>();
  const documents = new WeakMap<CatalogView, string>();
  let plain: string | undefined;

  async function callerView(c: Context<RestEnv>): Promise<CatalogView | undefined> {
    const authorization = c.req.header('authorization');
    const outcome = await access.authenticate(shape.server, authorization, () => remoteIsLoopback(c));
    if (!outcome.ok) {
      if (authorization === undefined) return undefined;
      if (outcome.challenge) c.header('WWW-Authenticate', outcome.challenge);
      throw outcome.error;
    }
    return scopedCatalog(catalog, catalog.visibility(outcome.principal.scopes)).view();
  }

  app.get('/openapi.json', async (c) => {
    const view = await callerView(c);
    let text = view ? documents.get(view) : plain;
    if (!text) {
      text = JSON.stringify(openApiDocument(shape, view?.available));
      if (view) documents.set(view, text);
      else plain = text;
    }
    c.header('Cache-Control', 'no-store');
    return c.body(text, 200, { 'content-type': 'application/json' });
  });

  app.get('/docs', (c, next) => {
    // The page runs only its own nonce'd script and the bundle from this origin, and talks only to this origin.
    const nonce = randomBytes(16).toString('base64');
    c.header(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    c.header('X-Content-Type-Options', 'nosniff');
    const render = Scalar({
      url: `${shape.prefix}/openapi.json`,
      cdn: `${shape.prefix}/docs/scalar.js`,
      nonce,
      pageTitle: shape.title,
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: false,
      persistAuth: false,
      // Scalar's AI agent (on by default for localhost pages) talks to api.scalar.com.
      agent: { disabled: true },
      // Its Share and Deploy menus upload the document to scalar.com.
      showDeveloperTools: 'never',
      defaultOpenAllTags: true,
    } as Parameters<typeof Scalar>[0]) as unknown as MiddlewareHandler<RestEnv>;
    return render(c, next);
  });

  app.get('/docs/scalar.js', async (c) => {
    const { plain: bytes, gzip, etag } = await scalarBundle();
    c.header('ETag', etag);
    c.header('Cache-Control', 'public, max-age=3600');
    c.header('Vary', 'Accept-Encoding');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    const gzipped = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    if (gzipped) c.header('Content-Encoding', 'gzip');
    return c.body(new Uint8Array(gzipped ? gzip : bytes), 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });

  return app;
}
