import { Hono } from 'hono';
import { AppError } from '../../errors.ts';
import type { ListenerEnv } from '../env.ts';

export function infoRoutes() {
  const app = new Hono<ListenerEnv>();
  app.get('/', (c) => {
    const deps = c.get('deps');
    const snapshot = deps.registry.snapshot(c.get('serverId'));
    if (!snapshot) throw new AppError('not_found', `Server "${c.get('serverId')}" is not loaded`);
    const names = [...snapshot.tools.keys()].sort();
    return c.json({
      server: {
        id: snapshot.server.id,
        name: snapshot.server.name,
        description: snapshot.server.description,
        port: snapshot.server.port,
      },
      version: deps.version,
      tools: { count: names.length, available: snapshot.available.length, names },
      database: deps.database.kind,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    });
  });
  return app;
}
