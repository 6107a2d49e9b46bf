import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors.ts';
import type { ListenerEnv } from '../env.ts';

/**
 * Registry writes fail fast (503) while the database is known to be
 * unreachable, instead of each waiting on a connect timeout; the change
 * feed's poll flips the state back as soon as the database answers.
 */
export function databaseWritable(): MiddlewareHandler<ListenerEnv> {
  return async function requireDatabase(c, next) {
    const health = c.get('deps').health;
    if (!health.ok) {
      throw new AppError('unavailable', `The database is unreachable (${health.error ?? 'no answer'}); registry writes fail until it returns, calls are still served`);
    }
    await next();
  };
}
