import { Hono, type MiddlewareHandler } from 'hono';
import type { ServerRow } from '../../db/schema.ts';
import { serverSettings } from '../../registry/server-view.ts';
import type { ServerWrites } from '../../registry/server-writes.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { queryFlag } from '../query-flag.ts';
import { writerOf } from '../writer.ts';
import { etagOf } from './tool-view.ts';
import { expectedVersion } from './tools.ts';

/**
 * /servers on every listener and on the gateway: the servers table without
 * SQL. Admin only (a server is infrastructure: its port, its OAuth settings).
 * Writes go through the server write service (ETag/If-Match, change log,
 * audit); the answer comes once this process serves the change.
 */
export interface ServersRoutesDeps {
  writes: ServerWrites;
  auth: MiddlewareHandler<RestEnv>;
  limits: BodyLimits;
  /** The port a server's own listener is bound to in this process (TOOLPORT_SERVERS may move it off its row's), undefined when it has none here. */
  listening?: ((serverId: string) => number | undefined) | undefined;
}

export function serverView(row: ServerRow, tools?: number) {
  return {
    ...serverSettings(row),
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    ...(tools === undefined ? {} : { tools: { total: tools } }),
  };
}

export function serversRoutes({ writes, auth, limits, listening }: ServersRoutesDeps) {
  const app = new Hono<RestEnv>();
  app.use('*', auth);
  // Where this process serves it now: `listeningPort` (null: not on a port of its own here).
  const withListening = (row: ServerRow, tools?: number) => ({ ...serverView(row, tools), listeningPort: listening?.(row.id) ?? null });

  app.get('/', async (c) => {
    const servers = (await writes.list()).map(({ row, tools }) => withListening(row, tools));
    return c.json({ count: servers.length, servers });
  });

  app.get('/:id', async (c) => {
    const { row, tools } = await writes.get(c.req.param('id'));
    c.header('ETag', etagOf(row.version));
    return c.json(withListening(row, tools));
  });

  app.post('/', async (c) => {
    const row = await writes.create(writerOf(c), await readJson(c, limits));
    c.header('Location', `/servers/${encodeURIComponent(row.id)}`);
    c.header('ETag', etagOf(row.version));
    return c.json(serverView(row, 0), 201);
  });

  app.patch('/:id', async (c) => {
    const row = await writes.patch(writerOf(c), c.req.param('id'), await readJson(c, limits), expectedVersion(c));
    c.header('ETag', etagOf(row.version));
    return c.json(serverView(row));
  });

  app.delete('/:id', async (c) => {
    const { row, toolsDeleted, upstreamsDeleted } = await writes.remove(writerOf(c), c.req.param('id'), {
      cascade: queryFlag(c, 'cascade', '/cascade'),
      ifMatch: expectedVersion(c),
    });
    return c.json({ deleted: true, id: row.id, version: row.version, toolsDeleted, upstreamsDeleted });
  });

  return app;
}
