import { timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/errors.ts';
import type { RestEnv } from '../env.ts';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Guards everything that changes the registry. With TOOLPORT_ADMIN_TOKEN set,
 * a matching `Authorization: Bearer` is required; without it, writes are open
 * to callers on this machine only (loopback), never to the network.
 */
export function adminAuth(adminToken: string | undefined): MiddlewareHandler<RestEnv> {
  return async function requireAdmin(c, next) {
    if (adminToken) {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(.+)$/i.exec(header);
      if (!match) throw new AppError('unauthorized', 'This endpoint changes the registry: send "Authorization: Bearer <TOOLPORT_ADMIN_TOKEN>"');
      if (!sameSecret(match[1]!.trim(), adminToken)) throw new AppError('unauthorized', 'The bearer token is not the admin token');
      c.set('actor', 'admin-token');
    } else {
      let address: string | undefined;
      try {
        address = getConnInfo(c).remote.address;
      } catch {
        address = undefined; // app.request() in-process: no socket, so no remote caller
      }
      if (address !== undefined && !isLoopback(address)) {
        throw new AppError('forbidden', 'Writes are open only to local callers while TOOLPORT_ADMIN_TOKEN is unset; set it to allow remote writes');
      }
      c.set('actor', 'local');
    }
    await next();
  };
}
