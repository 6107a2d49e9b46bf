import { Hono } from 'hono';
import { AppError } from '../../shared/errors.ts';
import type { RestEnv } from '../env.ts';

/** GET /info: the server and its tools as the caller sees them (c.get('catalog'): only the tools its scopes reach, counts included). */
export interface InfoRoutesDeps {
  version: string;
  databaseKind: string;
  startedAt: number;
  /** The port this server listens on in this process, and its row's when that differs (TOOLPORT_SERVERS=finance:4001). */
  port: () => { port: number | null; configured: number | null };
  /** The gateway: every server it serves, with its path and tool counts. */
  deployment?: (() => { servers: unknown[] }) | undefined;
}

export function infoRoutes({ version, databaseKind, startedAt, port, deployment }: InfoRoutesDeps) {
  const app = new Hono<RestEnv>();
  app.get('/', (c) => {
    const catalog = c.get('catalog');
    const view = catalog.view();
    if (!view) throw new AppError('not_found', `${catalog.label} is not loaded`);
    const names = [...view.tools.keys()].sort();
    const ports = port();
    return c.json({
      server: {
        id: view.info.id,
        name: view.info.name,
        description: view.info.description,
        port: ports.port,
        ...(ports.configured !== ports.port ? { configuredPort: ports.configured } : {}),
      },
      version,
      tools: { count: names.length, available: view.available.length, names },
      database: databaseKind,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      ...(deployment ? deployment() : {}),
    });
  });
  return app;
}
