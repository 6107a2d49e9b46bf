import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { Handler } from '../handlers/define.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { WorkerOutcome, WorkerTask } from './worker-task.ts';

export type { WorkerOutcome, WorkerTask } from './worker-task.ts';

/** TOOLPORT_CPU_WORKERS, or the number of cores, at least 2 (one busy thread must not stall the next CPU call). */
export function cpuWorkerCount(configured: number | undefined): number {
  return configured ?? Math.max(2, availableParallelism());
}

/**
 * How much lower the threads' scheduling priority is than the event loop's
 * (nice(2), Linux and macOS, through piscina's optional @napi-rs/nice; ignored
 * where it is missing). 10: a busy thread weighs about a tenth of the event
 * loop in the kernel's share of a contended core.
 */
export const NICE_INCREMENT = 10;

export interface WorkerPoolOptions {
  /** Threads (TOOLPORT_CPU_WORKERS). */
  size: number;
  logger: Logger;
  /** Handlers whose modules a new thread loads before its first call (the `runs: 'worker'` ones). */
  handlers?: Iterable<Handler>;
}

/**
 * The pool of worker threads that runs CPU handlers (`runs: 'worker'`), so
 * that a large call never holds up the event loop — other calls, /health,
 * the change feed — and cannot outlive its deadline: synchronous work cannot
 * be interrupted on the thread running it, but a thread can be terminated.
 * When a call's signal aborts (deadline, client gone, shutdown) the task is
 * dropped from the queue, or its thread terminated and replaced (piscina).
 *
 * Threads start on the first CPU call (a thread costs 0.3–1.5 s of CPU to
 * start — tsx's loader, the handler modules — and some 30 MB, which
 * processes that never run a CPU handler, such as most test servers, should
 * not pay) and then stay: `size` of them, kept at that number (a thread
 * terminated at a deadline is replaced at once). A call waits in the queue
 * while all are busy; its deadline runs meanwhile. The threads run at a lower
 * priority than the event loop (NICE_INCREMENT).
 */
export class WorkerPool {
  readonly size: number;
  private pool: Piscina | undefined;
  private closed = false;
  private readonly preload: { module: string; handler: string }[];

  constructor(private readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new Error(`worker pool size must be a positive integer, got ${options.size}`);
    this.size = options.size;
    this.preload = [...(options.handlers ?? [])]
      .filter((handler) => handler.runs === 'worker' && handler.module)
      .map((handler) => ({ module: handler.module!, handler: handler.name }));
  }

  /** Threads alive now (0 until the first call). */
  get threads(): number {
    return this.pool?.threads.length ?? 0;
  }

  /** Busy share of the threads' time since the pool started (0–1). */
  get utilization(): number {
    return this.pool?.utilization ?? 0;
  }

  /** Calls waiting for a free thread. */
  get queued(): number {
    return this.pool?.queueSize ?? 0;
  }

  private start(): Piscina {
    const pool = new Piscina({
      filename: new URL('./worker-entry.mjs', import.meta.url).href,
      minThreads: this.size,
      maxThreads: this.size,
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: { preload: this.preload },
      // The main thread's own flags (tsx's loader, --cpu-prof …) are not for these threads: worker-entry.mjs registers tsx itself.
      execArgv: [],
      // Below the event loop: when threads outnumber free cores, the event loop (/health, I/O calls, the change feed) still gets the CPU first.
      niceIncrement: NICE_INCREMENT,
      // Plain messages: a round trip measured 36–42 µs (p50) / 57–70 µs (mean) here, against 46–54 / 99–120 µs with
      // piscina's default Atomics.wait between tasks (on a shared VM, one core or two).
      atomics: 'disabled',
      recordTiming: false,
    });
    pool.on('error', (error: Error) => this.options.logger.warn('cpu worker failed outside a call', { error: error.message }));
    return pool;
  }

  /**
   * Run one call in a thread. Rejects with the signal's reason when it aborts
   * (the AppError of the deadline), with handler_failed when the thread dies.
   */
  async run(task: WorkerTask, signal: AbortSignal): Promise<WorkerOutcome> {
    if (this.closed) throw new AppError('unavailable', 'the server is shutting down');
    this.pool ??= this.start();
    try {
      return (await this.pool.run(task, { signal })) as WorkerOutcome;
    } catch (error) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new AppError('unavailable', `Tool "${task.toolName}" was cancelled`);
      throw new AppError('handler_failed', `Tool "${task.toolName}" failed in its worker thread: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
    }
  }

  /** Terminate every thread (a call still running in one fails). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
