import { Hono } from 'hono';
import type { AuditHealth } from '../../observability/audit-counters.ts';
import type { StatusView } from '../../observability/process-status.ts';
import type { UpstreamStatus } from '../../providers/upstreams/index.ts';
import { safeDatabaseReason } from '../../shared/database-reason.ts';
import type { RestEnv } from '../env.ts';

export interface DatabaseProbe {
  kind: string;
  /** A round trip to the database, bounded in time; reports the outcome to the process status. */
  ping(): Promise<{ ok: true; latencyMs: number } | { ok: false; error: string }>;
}

export interface HealthRoutesDeps {
  server: string;
  status: () => StatusView;
  database: DatabaseProbe;
  /** The audit queue: entries waiting, entries dropped since start, the last failed flush. */
  audit: () => AuditHealth;
  /** The gateway: every server's state (a failed own port, unavailable tools) beside the process's. */
  deployment?: (() => { servers: { status: string }[] }) | undefined;
  /** Upstream MCP servers of this process: shown (a vendor's outage does not make this process degraded). */
  upstreams?: (() => readonly UpstreamStatus[]) | undefined;
}

type Probe = Awaited<ReturnType<DatabaseProbe['ping']>>;

/** A failed probe as clients see it: a reason from the error code, never the driver's message (it can carry SQL). */
function shown(probe: Probe): Probe {
  return probe.ok ? probe : { ok: false, error: safeDatabaseReason(probe.error) };
}

/** Only these fields: lastFlushError is already a reason built from the error code (audit-queue.ts), never a driver message. */
function auditView({ queued, dropped, lastFlushError }: AuditHealth): AuditHealth {
  return { queued, dropped, ...(lastFlushError === undefined ? {} : { lastFlushError }) };
}

/**
 * /health: liveness plus a database round trip — "degraded" (still 200: the
 * process serves calls from memory) when the database does not answer or a
 * server of this process could not bind its port. Audit drops show in
 * `audit.dropped` but do not make it "degraded": calls and writes are still
 * served right, and a load balancer must not pull the process for that.
 */
function upstreamsView(statuses: readonly UpstreamStatus[]) {
  return statuses.map((s) => ({
    id: s.id,
    server: s.serverId,
    connection: s.connection,
    breaker: s.breaker,
    consecutiveFailures: s.consecutiveFailures,
    ...(s.retryAt ? { retryAt: s.retryAt } : {}),
  }));
}

export function healthRoutes({ server, status, database, audit, deployment, upstreams }: HealthRoutesDeps) {
  const app = new Hono<RestEnv>();
  app.get('/', async (c) => {
    const probe = await database.ping();
    const view = status();
    const listenerFailures = view.listenerFailures;
    return c.json({
      status: probe.ok && listenerFailures.length === 0 ? 'ok' : 'degraded',
      server,
      uptimeSeconds: Math.round((Date.now() - view.startedAt) / 1000),
      pid: process.pid,
      database: { kind: database.kind, ...shown(probe) },
      audit: auditView(audit()),
      ...(listenerFailures.length ? { listenerFailures } : {}),
      ...(upstreams?.().length ? { upstreams: upstreamsView(upstreams()) } : {}),
      ...(deployment ? deployment() : {}),
    });
  });
  return app;
}

/** /ready: 200 only when the database answers, so a load balancer can route writes elsewhere during an outage. */
export function readyRoutes({ server, database }: Omit<HealthRoutesDeps, 'status' | 'audit'>) {
  const app = new Hono<RestEnv>();
  app.get('/', async (c) => {
    const probe = await database.ping();
    return c.json({ ready: probe.ok, server, database: { kind: database.kind, ...shown(probe) } }, probe.ok ? 200 : 503);
  });
  return app;
}
