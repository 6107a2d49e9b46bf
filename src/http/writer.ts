import type { Context } from 'hono';
import type { RestEnv } from './env.ts';

/** Who a write is recorded as: the principal's actor and readable name, and the request it came in (the audit entry's request_id). */
export interface Writer {
  actor: string;
  actorName: string;
  requestId: string | undefined;
}

export function writerOf(c: Context<RestEnv>): Writer {
  const principal = c.get('principal');
  return { actor: principal.actor, actorName: principal.name, requestId: c.get('requestId') };
}
