import { Hono } from 'hono';
import type { RestEnv } from '../env.ts';

/**
 * GET / — a small JSON index of a listener (or of a gateway path): what it
 * is, which version, and where its endpoints are. Public, like /health: it
 * names no tool and no setting.
 */
export interface IndexDeps {
  /** The server the listener serves (`toolport` on the gateway's root). */
  server: string;
  version: string;
  /** Where the app is mounted on the gateway (`/finance`), or '' on its own port. */
  prefix: string;
  /** The endpoints this app has, by name: path (without the prefix). */
  links: Record<string, string>;
}

export function indexRoutes({ server, version, prefix, links }: IndexDeps) {
  const body = {
    name: 'toolport',
    version,
    server,
    links: Object.fromEntries(Object.entries(links).map(([name, path]) => [name, `${prefix}${path}`])),
  };
  const app = new Hono<RestEnv>();
  app.get('/', (c) => c.json(body));
  return app;
}
