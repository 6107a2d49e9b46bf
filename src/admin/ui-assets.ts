import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * The admin UI's files (src/admin/assets, copied beside the compiled code in
 * dist/): a page shell and the ES modules and stylesheet it loads, from this
 * process, nothing from a CDN. Everything the pages show they read from the
 * REST routes, with the session cookie (a page is a client like curl, no back
 * door). Served with a strict Content-Security-Policy: scripts, styles and
 * connections to this origin only, images also as data: URLs (a tool's
 * image result), no framing, no inline script or style.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

function readAssets(dir: string, into = new Map<string, Asset>(), root = dir): Map<string, Asset> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) readAssets(path, into, root);
    else {
      const type = TYPES[extname(entry.name)];
      if (!type) continue;
      const body = readFileSync(path);
      into.set(relative(root, path).split(sep).join('/'), { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
  }
  return into;
}

export const UI_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The Hono app mounted at /ui: `/ui` (and `/ui/`) the shell, `/ui/<file>` the rest. Files are read once, at the first request. */
export function uiAssets(dir = ASSETS_DIR): Hono {
  let assets: Map<string, Asset> | undefined;
  const app = new Hono();
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: UI_CSP,
      referrerPolicy: 'no-referrer',
      xFrameOptions: 'DENY',
      crossOriginResourcePolicy: 'same-origin',
      // HSTS is the TLS terminator's to send: this listener speaks plain HTTP.
      strictTransportSecurity: false,
    }),
  );
  const send = (name: string, ifNoneMatch: string | undefined) => {
    assets ??= readAssets(dir);
    const asset = assets.get(name);
    if (!asset) return undefined;
    const headers = { 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'no-cache' };
    if (ifNoneMatch === asset.etag) return new Response(null, { status: 304, headers });
    return new Response(asset.body, { headers });
  };
  app.get('/', (c) => send('index.html', c.req.header('if-none-match')) ?? c.notFound());
  app.get('/*', (c) => {
    const path = c.req.path;
    const name = path.slice(path.indexOf('/ui/') + 4);
    if (name.includes('..') || name === 'index.html') return c.notFound();
    return send(name, c.req.header('if-none-match')) ?? c.notFound();
  });
  return app;
}
