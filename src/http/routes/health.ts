import { Hono } from 'hono';
import type { ListenerEnv } from '../env.ts';

/**
 * /health: liveness plus a database round trip — "degraded" (still 200: the
 * process serves calls from memory) when the database does not answer or a
 * server of this process could not bind its port.
 * /ready: 200 only when the database answers, so a load balancer can route
 * writes elsewhere during an outage.
 */
async function pingDatabase(c: { get(key: 'deps'): ListenerEnv['Variables']['deps'] }) {
  const deps = c.get('deps');
  const started = performance.now();
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      deps.database.query('select 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 2000 ms')), 2000);
      }),
    ]).finally(() => clearTimeout(timer));
    deps.health.report(true);
    return { kind: deps.database.kind, ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    deps.health.report(false, (error as Error).message);
    return { kind: deps.database.kind, ok: false, error: (error as Error).message };
  }
}

export function healthRoutes() {
  const app = new Hono<ListenerEnv>();
  app.get('/', async (c) => {
    const deps = c.get('deps');
    const database = await pingDatabase(c);
    const listenerFailures = [...deps.listenerFailures.values()];
    return c.json({
      status: database.ok && listenerFailures.length === 0 ? 'ok' : 'degraded',
      server: c.get('serverId'),
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      pid: process.pid,
      database,
      ...(listenerFailures.length ? { listenerFailures } : {}),
    });
  });
  return app;
}

export function readyRoutes() {
  const app = new Hono<ListenerEnv>();
  app.get('/', async (c) => {
    const database = await pingDatabase(c);
    return c.json({ ready: database.ok, server: c.get('serverId'), database }, database.ok ? 200 : 503);
  });
  return app;
}
