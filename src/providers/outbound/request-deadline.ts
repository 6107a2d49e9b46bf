import { AbortRelay } from '../../shared/abort-relay.ts';

/**
 * One request's abort signal: its own timeout, or the caller's signal,
 * whichever comes first — one relay and one timer (not AbortSignal.timeout
 * and AbortSignal.any), both let go of as soon as the answer is read.
 */
export class RequestDeadline {
  private readonly relay = new AbortRelay();
  private readonly timer: NodeJS.Timeout;
  readonly signal = this.relay.signal;

  constructor(timeoutMs: number, outer: AbortSignal | undefined) {
    this.timer = setTimeout(() => this.relay.abort(new DOMException('The operation timed out', 'TimeoutError')), timeoutMs);
    this.timer.unref();
    this.relay.follow(outer);
  }

  done(): void {
    clearTimeout(this.timer);
    this.relay.release();
  }
}
