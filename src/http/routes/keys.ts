import { Hono, type MiddlewareHandler } from 'hono';
import { type ApiKeys, parseCreateKeyBody } from '../../auth/api-keys.ts';
import { looksLikeKey } from '../../auth/key-format.ts';
import { AppError } from '../../shared/errors.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { requireScope } from '../middleware/credential.ts';
import { writerOf } from '../writer.ts';

/**
 * /keys: API keys, `admin` scope only (reads included: which keys exist, and
 * what they may do, is an administrator's business). The credential
 * middleware must run before (it sets the principal); without it every
 * request is refused (fail closed). The full key is in POST's answer only, with
 * `Cache-Control: no-store`; nothing here ever shows a secret or a hash.
 */
export interface KeysRoutesDeps {
  keys: ApiKeys;
  limits: BodyLimits;
  /** The admin guard (the app passes one with the server's OAuth challenge); default: requireScope('admin'). */
  auth?: MiddlewareHandler<RestEnv>;
}

export function keysRoutes({ keys, limits, auth = requireScope('admin') }: KeysRoutesDeps) {
  const app = new Hono<RestEnv>();
  app.use('*', auth);

  app.get('/', async (c) => {
    const list = await keys.list();
    return c.json({ count: list.length, keys: list });
  });

  app.get('/:ref', async (c) => {
    const ref = c.req.param('ref');
    if (looksLikeKey(ref)) throw new AppError('bad_request', 'Put the key id or its 8-character prefix in the path, never the whole key');
    return c.json(await keys.get(ref));
  });

  app.post('/', async (c) => {
    const created = await keys.create(writerOf(c), parseCreateKeyBody(await readJson(c, limits)));
    c.header('Cache-Control', 'no-store');
    c.header('Location', `/keys/${created.id}`);
    return c.json(created, 201);
  });

  app.delete('/:ref', async (c) => {
    const ref = c.req.param('ref');
    // A whole key in a URL ends up in access logs and proxies' histories: refuse it (the CLI accepts one).
    if (looksLikeKey(ref)) throw new AppError('bad_request', 'Put the key id or its 8-character prefix in the path, never the whole key');
    const revoked = await keys.revoke(writerOf(c), ref);
    return c.json({ revoked: true, ...revoked });
  });

  return app;
}
