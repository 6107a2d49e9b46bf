import { setTimeout as delay } from 'node:timers/promises';

/**
 * Retry policy of `http` tools: which answers are worth another try (a
 * connection error, 429, 502, 503, 504), which methods may be repeated
 * (idempotent ones unless `retry.unsafe`), and how long to wait — the
 * upstream's Retry-After when it sends one, else exponential backoff with
 * full jitter (a random wait in [0, min(maxBackoffMs, backoffMs · 2^n)],
 * which spreads the retries of many callers instead of synchronising them).
 */

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  unsafe: boolean;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** Whether a request with this method may be sent again. */
export function mayRepeat(method: string, policy: RetryPolicy): boolean {
  return policy.attempts > 1 && (policy.unsafe || IDEMPOTENT.has(method.toUpperCase()));
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** The wait before retry number `retry` (1 for the first retry), full jitter. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After (RFC 9110 §10.2.3) in ms from `now`: delay-seconds or an
 * HTTP-date; undefined when absent or unreadable; 0 for a date in the past.
 */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Wait `ms`, or reject with the signal's reason (the deadline's AppError) as soon as it aborts. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    // node:timers/promises rejects with its own AbortError; the caller maps the signal's reason.
    throw signal.aborted ? signal.reason : error;
  }
}
