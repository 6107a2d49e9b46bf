/**
 * The module a CPU-worker thread starts with (registry/worker-pool.ts).
 * Plain JavaScript on purpose: a new thread cannot load TypeScript until
 * tsx's loader is registered in it (the main thread's `tsx` / vitest loader
 * does not reach worker threads), so register it first, then load the
 * TypeScript side (worker-task.ts) and the handler modules named in
 * workerData.preload, so a thread is ready before its first call.
 */
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

const { loadHandler, runTask } = await import('./worker-task.ts');
for (const { module, handler } of workerData?.preload ?? []) {
  // A module that fails to load fails its calls (with the reason), not the thread.
  await loadHandler(module, handler).catch(() => {});
}

export default runTask;
