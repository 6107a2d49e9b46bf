import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

/**
 * Registration → `notifications/tools/list_changed` latency, as an MCP client
 * sees it: a v2 client (2026-07-28) holds a `subscriptions/listen` stream open
 * on each listener; each registration is a `POST /tools` to process A, and the
 * clock runs from the moment that POST has returned (201 and body read) to the
 * moment the notification arrives on a stream. Registrations are sequential:
 * the next one starts after the previous one was heard (or timed out), so
 * coalescing never merges two of them.
 */

export interface Listener {
  name: string;
  client: Client;
  arrivals: number[];
}

export async function openListener(name: string, baseUrl: string): Promise<Listener> {
  const client = new Client({ name: `toolport-bench-${name}`, version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`)));
  const listener: Listener = { name, client, arrivals: [] };
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    listener.arrivals.push(performance.now());
  });
  await client.listen({ toolsListChanged: true });
  return listener;
}

export interface LatencyFigure {
  listener: string;
  registrations: number;
  delivered: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Every latency heard, in registration order (ms). */
  samplesMs: number[];
  /** 'ok': every registration heard; 'partial': some not within the timeout; 'not-delivered': none (measurement stopped early). */
  status: 'ok' | 'partial' | 'not-delivered';
  note?: string;
}

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[index]! * 100) / 100;
}

export interface NotifyOptions {
  registerUrl: string;
  count: number;
  timeoutMs: number;
  /** Stop waiting on a listener after this many consecutive misses from the start (it is not wired up). */
  giveUpAfter: number;
  namePrefix: string;
}

/** Register `count` tools one by one on registerUrl and time each listener's notification. */
export async function measureNotifyLatency(listeners: Listener[], options: NotifyOptions): Promise<LatencyFigure[]> {
  const samples = new Map(listeners.map((listener) => [listener, [] as number[]]));
  const missed = new Map(listeners.map((listener) => [listener, 0]));
  const abandoned = new Set<Listener>();
  let registrations = 0;

  for (let i = 0; i < options.count; i++) {
    const before = new Map(listeners.map((listener) => [listener, listener.arrivals.length]));
    const response = await fetch(`${options.registerUrl}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `${options.namePrefix}${i}`, description: `bench registration ${i}`, handler: 'get_time' }),
    });
    const text = await response.text();
    const returnedAt = performance.now();
    if (response.status !== 201) throw new Error(`POST /tools: ${response.status} ${text.slice(0, 300)}`);
    registrations++;

    await Promise.all(
      listeners
        .filter((listener) => !abandoned.has(listener))
        .map(async (listener) => {
          const deadline = returnedAt + options.timeoutMs;
          while (listener.arrivals.length <= before.get(listener)! && performance.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          if (listener.arrivals.length > before.get(listener)!) {
            samples.get(listener)!.push(listener.arrivals[before.get(listener)!]! - returnedAt);
          } else {
            missed.set(listener, missed.get(listener)! + 1);
            if (samples.get(listener)!.length === 0 && missed.get(listener)! >= options.giveUpAfter) abandoned.add(listener);
          }
        }),
    );
  }

  return listeners.map((listener) => {
    const sorted = [...samples.get(listener)!].sort((a, b) => a - b);
    const tried = abandoned.has(listener) ? missed.get(listener)! : registrations;
    const figure: LatencyFigure = {
      listener: listener.name,
      registrations: tried,
      delivered: sorted.length,
      p50Ms: percentile(sorted, 50),
      p90Ms: percentile(sorted, 90),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted.length ? Math.round(sorted[sorted.length - 1]! * 100) / 100 : null,
      samplesMs: samples.get(listener)!.map((ms) => Math.round(ms * 100) / 100),
      status: sorted.length === 0 ? 'not-delivered' : sorted.length < tried ? 'partial' : 'ok',
    };
    if (figure.status === 'not-delivered') {
      figure.note = `not delivered within ${options.timeoutMs / 1000} s (0 of ${tried} registrations heard; stopped waiting)`;
    } else if (figure.status === 'partial') {
      figure.note = `${tried - sorted.length} of ${tried} registrations not heard within ${options.timeoutMs / 1000} s`;
    }
    return figure;
  });
}

export async function closeListeners(listeners: Listener[]): Promise<void> {
  await Promise.all(listeners.map((listener) => listener.client.close().catch(() => {})));
}
