import type { Context } from 'hono';
import { AppError } from '../shared/errors.ts';
import type { RestEnv } from './env.ts';

/** A boolean query parameter (`?cascade=true`, `?dryRun`): absent or `false` is false; `true` (or bare) is true; anything else a 400 naming it at `path`. */
export function queryFlag(c: Context<RestEnv>, name: string, path = `/query/${name}`): boolean {
  const value = c.req.query(name);
  if (value === undefined || value === 'false') return false;
  if (value === 'true' || value === '') return true;
  throw new AppError('bad_request', `${name} must be true or false, got ${JSON.stringify(value.slice(0, 20))}`, {
    details: [{ path, message: 'must be true or false' }],
  });
}
