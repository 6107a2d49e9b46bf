/** What bench/run.ts asks the load generator (bench/load-worker.ts) to do, and what it answers. */

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** May hold __BENCH_ID__ (per-connection JSON-RPC id) and __BENCH_SEQ__ (never-repeating counter). */
  body?: string;
  expect: {
    status: number;
    /** Exact body, placeholders filled in as in the request. */
    body?: string;
    /** A substring the body must contain (placeholders filled in). */
    contains?: string;
  };
}

export interface LoadJob {
  /** Origin, e.g. http://127.0.0.1:4101 */
  url: string;
  connections: number;
  durationS: number;
  /** Stop after this many requests instead (duration still bounds it). */
  amount?: number;
  timeoutS?: number;
  /** Cycled in order by every connection. */
  requests: LoadRequest[];
  /** 2025-era sessions: connection i sends Mcp-Session-Id sessions[i % n]. */
  sessions?: string[];
}

export interface LoadResult {
  responses: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Wire bytes per response (headers included), as counted by autocannon. */
  bytesPerResponse: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  badStatus: number;
  badBody: number;
  firstBad?: { status: number; body: string; expected: string };
}
