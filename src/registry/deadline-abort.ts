import { AppError } from '../shared/errors.ts';
import { onDeadline } from './deadlines.ts';

type OuterSignal = AbortSignal | (() => AbortSignal) | undefined;

/**
 * The handler's abort signal, made only if the handler asks for it: an
 * AbortController (and a listener on the caller's signal) per call is a
 * measurable share of a pure tool's call, and most handlers never look.
 */
class LazyAbort {
  private controller: AbortController | undefined;
  private outer: AbortSignal | undefined;
  private reason: unknown;
  private aborted = false;

  constructor(private readonly source: OuterSignal) {}

  readonly signal = (): AbortSignal => {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
      else {
        this.outer = typeof this.source === 'function' ? this.source() : this.source;
        if (this.outer?.aborted) this.controller.abort(this.outer.reason);
        else this.outer?.addEventListener('abort', this.onOuterAbort, { once: true });
      }
    }
    return this.controller.signal;
  };

  abort(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  dispose(): void {
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }

  private readonly onOuterAbort = () => this.abort(this.outer?.reason);
}

/**
 * Run `work` with a deadline of `timeoutMs`: past it the call fails with
 * `timeout` and the handler's signal aborts. An inline handler can only be
 * asked to stop (its promise is abandoned; synchronous work still runs to its
 * end on the event loop); a worker call (registry/worker-pool.ts) takes the
 * signal at once, and its abort terminates the thread running it.
 */
export function withDeadline<T>(work: (signal: () => AbortSignal) => Promise<T>, timeoutMs: number, outer: OuterSignal, tool: string): Promise<T> {
  const abort = new LazyAbort(outer);
  return new Promise<T>((resolve, reject) => {
    const cancel = onDeadline(timeoutMs, () => {
      const error = new AppError('timeout', `Tool "${tool}" did not finish within ${timeoutMs} ms`);
      abort.abort(error);
      abort.dispose();
      reject(error);
    });
    work(abort.signal).then(
      (value) => {
        cancel();
        abort.dispose();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        abort.dispose();
        reject(error);
      },
    );
  });
}
