import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Retries of read-only transactions on connection errors: bounded
 * exponential backoff with full jitter (the wait is random in [0, cap]), so a
 * source that blips for a moment is not a failed call, and many waiting
 * calls do not come back in step. Read-write transactions are never retried:
 * the first may have committed before the connection dropped.
 */
export interface RetryPolicy {
  /** Tries in all (1 = no retry). */
  attempts: number;
  /** Cap of the first wait, ms; doubled each try up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 50, maxDelayMs: 400 };

/** The wait before try `attempt + 1` (attempt counts from 1). */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * cap);
}

/** Waits, or rejects with the signal's reason when the call is aborted first. */
export async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : undefined).catch((error) => {
    throw signal?.aborted ? abortReason(signal) : error;
  });
}

/** What an aborted call throws: the signal's reason when it is an error (the call path's timeout AppError), else an AbortError. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The call was aborted', 'AbortError');
}
