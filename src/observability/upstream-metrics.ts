import { Counter, Gauge, type Registry } from 'prom-client';
import type { UpstreamStatus } from '../providers/upstreams/index.ts';

const STATES = ['closed', 'open', 'half-open'] as const;

/**
 * Upstream MCP servers on /metrics, read when scraped: whether each is
 * connected, its breaker state and consecutive failures, and its calls
 * (requests, failures, retries, mean latency). Labels are the upstream's id and its
 * server: bounded by the upstreams table.
 */
export function registerUpstreamMetrics(registry: Registry, read: () => readonly UpstreamStatus[]): void {
  const registers = [registry];
  const each = (set: (status: UpstreamStatus) => void) => {
    for (const status of read()) set(status);
  };
  new Gauge({
    name: 'toolport_upstream_up',
    help: '1 while this process is connected to the upstream MCP server, else 0',
    labelNames: ['upstream', 'server'],
    registers,
    collect() {
      this.reset();
      each((s) => this.set({ upstream: s.id, server: s.serverId }, s.connection === 'connected' ? 1 : 0));
    },
  });
  new Gauge({
    name: 'toolport_upstream_breaker_state',
    help: "The upstream's circuit breaker: 1 for its current state (closed, open, half-open)",
    labelNames: ['upstream', 'state'],
    registers,
    collect() {
      this.reset();
      each((s) => {
        for (const state of STATES) this.set({ upstream: s.id, state }, s.breaker === state ? 1 : 0);
      });
    },
  });
  new Gauge({
    name: 'toolport_upstream_consecutive_failures',
    help: 'Failed calls or health checks of the upstream in a row',
    labelNames: ['upstream'],
    registers,
    collect() {
      this.reset();
      each((s) => this.set({ upstream: s.id }, s.consecutiveFailures));
    },
  });
  const counter = (name: string, help: string, pick: (s: UpstreamStatus) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset();
        each((s) => this.inc({ upstream: s.id }, pick(s)));
      },
    });
  counter('toolport_upstream_requests_total', 'Calls this process sent to the upstream (since its connection was made)', (s) => s.requests);
  counter('toolport_upstream_failures_total', 'Calls to the upstream that failed (it answered an error, or could not be reached)', (s) => s.failures);
  counter(
    'toolport_upstream_retries_total',
    "Calls of the upstream's group retried after a round in which no member could take them (each member counts the round)",
    (s) => s.retries,
  );
  new Gauge({
    name: 'toolport_upstream_latency_mean_seconds',
    help: "Mean latency of the upstream's calls",
    labelNames: ['upstream'],
    registers,
    collect() {
      this.reset();
      each((s) => {
        if (s.meanLatencyMs !== null) this.set({ upstream: s.id }, s.meanLatencyMs / 1000);
      });
    },
  });
}
