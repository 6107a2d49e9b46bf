import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { StoredUpstream } from '../../db/upstream-store.ts';
import type { Upstreams } from '../../providers/upstreams/index.ts';
import { UPSTREAM_ID } from '../../registry/upstream-body.ts';
import type { UpstreamRegistry } from '../../registry/upstream-registry.ts';
import { AppError } from '../../shared/errors.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { writerOf } from '../writer.ts';

/**
 * /upstreams on every listener (admin only): other MCP servers whose tools a
 * server carries. A definition is shown as stored — header and env values
 * are `${secret:NAME}` references, never values — with what this process's
 * connection to it is doing (`status`: connection, breaker, failures,
 * requests, success rate, latency).
 */
export interface UpstreamsRoutesDeps {
  registry: UpstreamRegistry;
  upstreams: Upstreams;
  auth: MiddlewareHandler<RestEnv>;
  limits: BodyLimits;
}

function upstreamId(c: Context<RestEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!UPSTREAM_ID.test(id)) throw new AppError('not_found', `No upstream ${JSON.stringify(id.slice(0, 64))}: ids are 1–64 of a–z, 0–9, "_" and "-"`);
  return id;
}

export function upstreamsRoutes({ registry, upstreams, auth, limits }: UpstreamsRoutesDeps) {
  const app = new Hono<RestEnv>();
  app.use('*', auth);
  const view = (d: StoredUpstream) => {
    const { serverId, createdAt, updatedAt, ...rest } = d;
    return {
      ...rest,
      server: serverId,
      createdAt: createdAt.toISOString(),
      updatedAt: updatedAt.toISOString(),
      status: upstreams.status(d.id) ?? null,
      skippedTools: registry.skipped(d.id),
    };
  };

  app.get('/', (c) => {
    const all = registry.list().map(view);
    return c.json({ count: all.length, upstreams: all });
  });
  app.get('/:id', (c) => {
    const id = upstreamId(c);
    const found = registry.get(id);
    if (!found) throw new AppError('not_found', `No upstream "${id}"`);
    return c.json(view(found));
  });
  app.post('/', async (c) => {
    const created = await registry.create(writerOf(c), await readJson(c, limits));
    c.header('Location', `/upstreams/${encodeURIComponent(created.id)}`);
    return c.json(view(created), 201);
  });
  app.patch('/:id', async (c) => c.json(view(await registry.patch(writerOf(c), upstreamId(c), await readJson(c, limits)))));
  app.delete('/:id', async (c) => {
    const removed = await registry.delete(writerOf(c), upstreamId(c));
    return c.json({ deleted: true, id: removed.id });
  });
  return app;
}
