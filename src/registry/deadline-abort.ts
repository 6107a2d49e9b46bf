import { AbortRelay } from '../shared/abort-relay.ts';
import { AppError } from '../shared/errors.ts';
import { arm, type Deadline, disarm } from './deadlines.ts';

type OuterSignal = AbortSignal | (() => AbortSignal) | undefined;

/**
 * One call under a deadline: the deadline itself (deadlines.ts), the
 * settling of the caller's promise, and the handler's abort signal, made only
 * if the handler asks for it (an AbortController and a listener on the
 * caller's signal per call are a measurable share of a pure tool's call, and
 * most handlers never look). One object per call, methods on the prototype:
 * this runs on every call.
 */
export class DeadlineRun<T> implements Deadline {
  readonly at: number;
  private relay: AbortRelay | undefined;
  private expiredWith: AppError | undefined;
  private settled = false;
  private resolve: ((value: T) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;

  constructor(
    private source: OuterSignal,
    private readonly timeoutMs: number,
    private readonly tool: string,
  ) {
    this.at = performance.now() + timeoutMs;
  }

  /** The handler's signal: aborted at the deadline or when the caller's signal aborts. */
  signal(): AbortSignal {
    if (!this.relay) {
      this.relay = new AbortRelay();
      if (this.expiredWith) this.relay.abort(this.expiredWith);
      else this.relay.follow(typeof this.source === 'function' ? this.source() : this.source);
    }
    return this.relay.signal;
  }

  expire(): void {
    const error = new AppError('timeout', `Tool "${this.tool}" did not finish within ${this.timeoutMs} ms`);
    this.expiredWith = error;
    this.relay?.abort(error);
    this.settle(undefined, error, true);
  }

  /** Settle the caller's promise once: the work's outcome or the deadline, whichever comes first. */
  settle(value: T | undefined, error: unknown, failed: boolean): void {
    if (this.settled) return;
    this.settled = true;
    disarm(this);
    this.relay?.release();
    const { resolve, reject } = this;
    // Hold nothing of the call once it is over: the caller's signal source closes over the request, and a settled run
    // that still pointed at it kept every request's objects alive through a scavenge (7× the GC time under load).
    this.source = undefined;
    this.resolve = undefined;
    this.reject = undefined;
    if (failed) reject!(error);
    else resolve!(value as T);
  }

  /** The promise the caller awaits; `work` is already running. */
  race(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      arm(this);
      work.then(
        (value) => this.settle(value, undefined, false),
        (error: unknown) => this.settle(undefined, error, true),
      );
    });
  }
}

/**
 * Run `work` with a deadline of `timeoutMs`: past it the call fails with
 * `timeout` and the handler's signal aborts. An inline handler can only be
 * asked to stop (its promise is abandoned; synchronous work still runs to its
 * end on the event loop); a worker call (registry/worker-pool.ts) takes the
 * signal at once, and its abort terminates the thread running it.
 */
export function withDeadline<T>(work: (run: DeadlineRun<T>) => Promise<T>, timeoutMs: number, outer: OuterSignal, tool: string): Promise<T> {
  const run = new DeadlineRun<T>(outer, timeoutMs, tool);
  let started: Promise<T>;
  try {
    started = work(run);
  } catch (error) {
    started = Promise.reject(error);
  }
  return run.race(started);
}
