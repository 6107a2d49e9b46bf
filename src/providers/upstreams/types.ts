import type { StoredUpstream } from '../../db/upstream-store.ts';
import type { BreakerState } from './breaker.ts';

export type UpstreamDefinition = StoredUpstream;

/** A tool as an upstream lists it (the parts Toolport keeps in its row). */
export interface UpstreamTool {
  name: string;
  title?: string | undefined;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown> | undefined;
  annotations?: Record<string, unknown> | undefined;
}

/** What an upstream is doing now, in this process (GET /upstreams/:id, /health, /metrics). */
export interface UpstreamStatus {
  id: string;
  serverId: string;
  prefix: string;
  priority: number;
  enabled: boolean;
  /** connected: the MCP session is up; connecting; down (retrying at nextAttemptAt); disabled. */
  connection: 'connected' | 'connecting' | 'down' | 'disabled';
  breaker: BreakerState;
  consecutiveFailures: number;
  /** When an open breaker lets a probe through. */
  retryAt?: string | undefined;
  nextAttemptAt?: string | undefined;
  lastError?: string | undefined;
  /** The protocol version negotiated with it. */
  protocolVersion?: string | undefined;
  /** Tools the upstream lists. */
  tools: number;
  /** Of those, the ones its include/exclude globs keep (the rows Toolport syncs). */
  toolsSelected: number;
  requests: number;
  failures: number;
  /** Calls of its group retried after a round in which no member (this one included) could take them (maxRetries). */
  retries: number;
  /** Share of calls that succeeded (null before the first). */
  successRate: number | null;
  /** Mean latency of its calls, milliseconds (null before the first). */
  meanLatencyMs: number | null;
}
