/**
 * A circuit breaker per upstream: closed (calls pass) → open after
 * `failureThreshold` consecutive failures (calls fail fast) → half-open once
 * `recoveryTimeoutMs` passed (up to `halfOpenMaxCalls` probes pass at once)
 * → closed on a probe's success, open again on its failure.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  failureThreshold: number;
  recoveryTimeoutMs: number;
  halfOpenMaxCalls: number;
}

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private openedAt = 0;
  private probes = 0;
  consecutiveFailures = 0;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.settings.recoveryTimeoutMs) {
      this.current = 'half-open';
      this.probes = 0;
    }
    return this.current;
  }

  /** When an open breaker lets the next probe through (undefined unless open). */
  get retryAt(): Date | undefined {
    return this.state === 'open' ? new Date(this.openedAt + this.settings.recoveryTimeoutMs) : undefined;
  }

  /** Whether a call may go through now; a half-open admission counts as a probe until it settles. */
  admit(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probes >= Math.max(1, this.settings.halfOpenMaxCalls)) return false;
    this.probes++;
    return true;
  }

  success(): void {
    this.consecutiveFailures = 0;
    this.current = 'closed';
    this.probes = 0;
  }

  failure(): void {
    this.consecutiveFailures++;
    if (this.current === 'half-open' || this.consecutiveFailures >= Math.max(1, this.settings.failureThreshold)) {
      this.current = 'open';
      this.openedAt = this.now();
      this.probes = 0;
    }
  }
}
