import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../shared/errors.ts';
import { createOriginPolicy, type OriginPolicyOptions, refusalMessage } from '../../shared/origin-policy.ts';
import type { RestEnv } from '../env.ts';

/**
 * The same Origin and Host rules as /mcp (shared/origin-policy.ts), on every
 * REST route, reads included: no web page may write the registry, call tools
 * or read them through a rebound DNS name. A refusal is a 403 `forbidden` in
 * the REST error envelope.
 */
export function originGuard(options: OriginPolicyOptions): MiddlewareHandler<RestEnv> {
  const policy = createOriginPolicy(options);
  // Not async: the route's promise is handed on as is (no extra promise and await per request).
  return function checkOrigin(c, next) {
    const verdict = policy.check(c.req.header('origin'), c.req.header('host'));
    if (!verdict.ok) throw new AppError('forbidden', refusalMessage(verdict, 'this server'), { extra: { refused: verdict.reason } });
    return next();
  };
}
