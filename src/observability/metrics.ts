import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { UpstreamStatus } from '../providers/upstreams/index.ts';
import { CountsByThree, collectInto, PrecountedHistogram } from './precounted.ts';
import { registerUpstreamMetrics } from './upstream-metrics.ts';

/**
 * The process's Prometheus metrics (prom-client, one registry per process,
 * served at /metrics by every listener and the gateway). Recording on the
 * call path counts into plain numbers (precounted.ts: no label hashing, no
 * prom-client call) that prom-client reads when /metrics is scraped; gauges
 * of the registry, the MCP sessions and the pools are read when
 * /metrics is scraped, never kept up to date on the hot path.
 *
 * Cardinality is bounded: `tool` is a tool the registry holds (a name that
 * resolves to none is counted as `(unknown)`, so callers cannot mint
 * series), `route` is the matched route pattern (`/tools/:name`), not the
 * path, and the duration histogram is per server, not per tool. At 10,000
 * tools, the call counter has at most 10,000 × the outcomes seen — in
 * practice a few per tool — series; everything else stays per server.
 */
export const CALL_DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What /metrics reads when it is scraped (each a snapshot of the moment). */
export interface MetricSources {
  /** Tools per server, available or not. */
  tools(): { server: string; available: number; unavailable: number }[];
  /** Whether the database answered its last probe. */
  databaseUp(): boolean;
  /** The CPU worker pool: threads, busy share (0–1), queued tasks. */
  cpuPool(): { threads: number; utilization: number; queued: number } | undefined;
  /** Upstream MCP servers' state in this process (toolport_upstream_*). */
  upstreams?(): readonly UpstreamStatus[];
}

/** One MCP endpoint's open 2025-era sessions and 2026-era listen streams (a listener's or a gateway path's). */
export type McpCounts = () => { sessions: number; listenStreams: number };

export class Metrics {
  readonly registry = new Registry();
  /** Calls by server, tool and outcome; requests by server, route and status; call durations by server. */
  private readonly calls = new CountsByThree();
  private readonly requests = new CountsByThree();
  private readonly durations = new PrecountedHistogram(
    'toolport_tool_call_duration_seconds',
    'Tool call duration (guard, handler and result), by server',
    'server',
    CALL_DURATION_BUCKETS,
  );
  private readonly changesApplied: Counter;
  private readonly feedLag: Gauge;
  private sources: MetricSources | undefined;
  private readonly mcp = new Set<{ server: string; counts: McpCounts }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const metrics = this;
    new Counter({
      name: 'toolport_tool_calls_total',
      help: 'Tool calls, by server, tool and outcome (ok, tool_error, or the error code)',
      labelNames: ['server', 'tool', 'outcome'],
      registers,
      collect() {
        collectInto(this, metrics.calls, ['server', 'tool', 'outcome']);
      },
    });
    this.durations.registerIn(this.registry);
    new Counter({
      name: 'toolport_http_requests_total',
      help: 'HTTP requests answered, by server, route pattern and status',
      labelNames: ['server', 'route', 'status'],
      registers,
      collect() {
        collectInto(this, metrics.requests, ['server', 'route', 'status']);
      },
    });
    this.changesApplied = new Counter({
      name: 'toolport_registry_changes_applied_total',
      help: 'Registry changes (change-log rows) this process applied',
      registers,
    });
    this.feedLag = new Gauge({
      name: 'toolport_change_feed_lag_seconds',
      help: 'Commit to applied, of the last registry change this process applied',
      registers,
    });
    new Gauge({
      name: 'toolport_registry_tools',
      help: 'Tools this process holds, by server and availability',
      labelNames: ['server', 'available'],
      registers,
      collect() {
        this.reset();
        for (const { server, available, unavailable } of metrics.sources?.tools() ?? []) {
          this.set({ server, available: 'true' }, available);
          this.set({ server, available: 'false' }, unavailable);
        }
      },
    });
    new Gauge({
      name: 'toolport_mcp_sessions',
      help: 'Open MCP sessions, by server and protocol era',
      labelNames: ['server', 'era'],
      registers,
      collect() {
        this.reset();
        // The 2026-07-28 era is stateless: sessions are 2025-era ones.
        for (const [server, { sessions }] of metrics.mcpTotals()) this.set({ server, era: '2025' }, sessions);
      },
    });
    new Gauge({
      name: 'toolport_mcp_listen_streams',
      help: 'Open MCP listen (list_changed) streams, by server',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const [server, { listenStreams }] of metrics.mcpTotals()) this.set({ server }, listenStreams);
      },
    });
    new Gauge({
      name: 'toolport_db_up',
      help: '1 when the database answered its last probe, else 0',
      registers,
      collect() {
        this.set(metrics.sources?.databaseUp() === false ? 0 : 1);
      },
    });
    const pool = (name: string, help: string, pick: (pool: NonNullable<ReturnType<MetricSources['cpuPool']>>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const state = metrics.sources?.cpuPool();
          if (state) this.set(pick(state));
        },
      });
    pool('toolport_cpu_pool_threads', 'Worker threads of the CPU handlers’ pool', (state) => state.threads);
    pool('toolport_cpu_pool_utilization', 'Busy share of the CPU pool’s threads (0–1)', (state) => state.utilization);
    pool('toolport_cpu_pool_queued', 'Calls waiting for a CPU pool thread', (state) => state.queued);
    registerUpstreamMetrics(this.registry, () => metrics.sources?.upstreams?.() ?? []);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'toolport_' });
  }

  /** Where the scrape-time gauges read from (set once the process is assembled). */
  observe(sources: MetricSources): void {
    this.sources = sources;
  }

  /** Count an MCP endpoint's sessions and streams under its server while it is open; the returned function stops. */
  trackMcp(server: string, counts: McpCounts): () => void {
    const tracked = { server, counts };
    this.mcp.add(tracked);
    return () => this.mcp.delete(tracked);
  }

  private mcpTotals(): Map<string, { sessions: number; listenStreams: number }> {
    const totals = new Map<string, { sessions: number; listenStreams: number }>();
    for (const { server, counts } of this.mcp) {
      const now = counts();
      const total = totals.get(server) ?? { sessions: 0, listenStreams: 0 };
      totals.set(server, { sessions: total.sessions + now.sessions, listenStreams: total.listenStreams + now.listenStreams });
    }
    return totals;
  }

  /** One tool call: counted by tool and outcome, timed per server. `tool` must be a registry tool's name or `(unknown)`. */
  call(server: string | null, tool: string, outcome: string, seconds: number): void {
    const serverLabel = server ?? '(none)';
    this.calls.inc(serverLabel, tool, outcome);
    this.durations.observe(serverLabel, seconds);
  }

  request(server: string, route: string, status: number): void {
    this.requests.inc(server, route, status);
  }

  /** Changes the change feed applied; the lag is the last one's (its changed_at to now). */
  changesAppliedNow(changedAt: readonly Date[]): void {
    if (changedAt.length === 0) return;
    this.changesApplied.inc(changedAt.length);
    const last = changedAt[changedAt.length - 1]!;
    this.feedLag.set(Math.max(0, (Date.now() - last.getTime()) / 1000));
  }

  /** The Prometheus text exposition. */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
