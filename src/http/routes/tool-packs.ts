import { Hono, type MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import { MODES } from '../../handlers/kinds/database/index.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import { addDatabaseTools } from '../../registry/database-pack.ts';
import { requireObject } from '../../registry/definition.ts';
import type { ToolWrites } from '../../registry/tool-writes.ts';
import { AppError } from '../../shared/errors.ts';
import { parseOrThrow } from '../../shared/validation.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { assertScope, type ScopeChallenge } from '../middleware/credential.ts';
import { writerOf } from '../writer.ts';

/**
 * POST /tools/packs/database (the `write` scope of this listener's server,
 * and of the server /server names when it is another one): the
 * database tool pack's 4 or 9 rows on a server (this listener's by
 * default) over a data source in a mode; 201 with the tools written, 409
 * naming an existing tool (nothing written).
 */

export const DatabasePackBody = v.strictObject({
  server: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'))),
  source: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')),
  mode: v.picklist(MODES, `must be one of ${MODES.join(', ')}`),
  prefix: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'))),
});

export interface ToolPacksDeps {
  catalog: ToolCatalog;
  writes: ToolWrites;
  /** This listener's server's `write` scope. */
  auth: MiddlewareHandler<RestEnv>;
  /** WWW-Authenticate of a 403 for the named server's scope. */
  challenge?: ScopeChallenge;
  limits: BodyLimits;
}

export function toolPacksRoutes({ catalog, writes, auth, challenge, limits }: ToolPacksDeps) {
  const app = new Hono<RestEnv>();

  app.post('/database', auth, async (c) => {
    const body = parseOrThrow(DatabasePackBody, requireObject(await readJson(c, limits), 'database pack request'), 'database pack request');
    const serverId = body.server ?? catalog.writableServerId;
    if (!serverId) throw new AppError('bad_request', `Name the server in /server: the tools of ${catalog.label} cannot be written here`);
    // The body may name another server: writing there needs that server's scope too.
    if (serverId !== catalog.writableServerId) assertScope(c, 'write', serverId, challenge);
    const result = await addDatabaseTools({ writes, ...writerOf(c), serverId, source: body.source, mode: body.mode, prefix: body.prefix });
    // Whether each tool can be called here now (its source known, enabled, reachable as far as this process knows).
    const tools = result.tools.map((tool) => {
      const entry = serverId === catalog.writableServerId ? catalog.resolve(tool.name) : undefined;
      return entry ? { ...tool, available: entry.available, ...(entry.available ? {} : { reason: entry.reason }) } : tool;
    });
    return c.json({ ...result, tools }, 201);
  });

  return app;
}
