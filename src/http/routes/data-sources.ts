import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { SOURCE_ID } from '../../registry/data-source-body.ts';
import type { DataSourceCatalog } from '../../registry/data-source-catalog.ts';
import { dataSourceView } from '../../registry/data-source-view.ts';
import type { DataSourceWrites } from '../../registry/data-source-writes.ts';
import { AppError } from '../../shared/errors.ts';
import type { SecretReader } from '../../shared/secrets.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { writerOf } from '../writer.ts';

/**
 * /data-sources on every listener: the databases sql tools query. Admin only,
 * reads included — sources are infrastructure, and which databases exist is
 * no business of a tool caller. A source shows its URL as the reference text
 * (`${secret:NAME}`) with whether the secret is set here; never a value.
 */
export interface DataSourcesRoutesDeps {
  catalog: DataSourceCatalog;
  writes: DataSourceWrites;
  /** config.secret: only asked whether a secret is set. */
  secret: SecretReader;
  /** Guards every route (the `admin` scope). */
  auth: MiddlewareHandler<RestEnv>;
  limits: BodyLimits;
}

/** The id of the path; one that breaks the id rule cannot exist, so it is a 404 that says why. */
function sourceId(c: Context<RestEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!SOURCE_ID.test(id)) {
    const shown = JSON.stringify(id.length > 64 ? `${id.slice(0, 64)}…` : id);
    throw new AppError('not_found', `No data source ${shown}: ids are 1–64 of a–z, 0–9, "_" and "-", starting with a letter or digit`);
  }
  return id;
}

export function dataSourcesRoutes({ catalog, writes, secret, auth, limits }: DataSourcesRoutesDeps) {
  const app = new Hono<RestEnv>();
  app.use('*', auth);
  const view = (definition: Parameters<typeof dataSourceView>[0]) => dataSourceView(definition, secret, catalog.availability(definition.id));

  app.get('/', (c) => {
    const dataSources = catalog.list().map(view);
    return c.json({ count: dataSources.length, dataSources });
  });

  app.get('/:id', (c) => {
    const id = sourceId(c);
    const definition = catalog.get(id);
    if (!definition) throw new AppError('not_found', `No data source "${id}"`);
    return c.json(view(definition));
  });

  app.post('/', async (c) => {
    const created = await writes.create(writerOf(c), await readJson(c, limits));
    c.header('Location', `/data-sources/${encodeURIComponent(created.id)}`);
    return c.json(view(created), 201);
  });

  app.patch('/:id', async (c) => {
    const id = sourceId(c);
    return c.json(view(await writes.patch(writerOf(c), id, await readJson(c, limits))));
  });

  app.delete('/:id', async (c) => {
    const removed = await writes.delete(writerOf(c), sourceId(c));
    return c.json({ deleted: true, id: removed.id });
  });

  return app;
}
