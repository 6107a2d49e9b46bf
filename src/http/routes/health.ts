import { Hono } from 'hono';
import type { ListenerEnv } from '../env.ts';

/** Liveness plus a database round trip; "degraded" when the database does not answer. */
export function healthRoutes() {
  const app = new Hono<ListenerEnv>();
  app.get('/', async (c) => {
    const deps = c.get('deps');
    const started = performance.now();
    let database: { kind: string; ok: boolean; latencyMs?: number; error?: string };
    try {
      await Promise.race([
        deps.database.query('select 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2000 ms')), 2000).unref()),
      ]);
      database = { kind: deps.database.kind, ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      database = { kind: deps.database.kind, ok: false, error: (error as Error).message };
    }
    return c.json({
      status: database.ok ? 'ok' : 'degraded',
      server: c.get('serverId'),
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      pid: process.pid,
      database,
    });
  });
  return app;
}
