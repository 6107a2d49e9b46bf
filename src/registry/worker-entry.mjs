/**
 * The module a CPU-worker thread starts with (registry/worker-pool.ts).
 * Plain JavaScript on purpose: it is the same file from source and in the
 * build (dist/). Beside the compiled worker-task.js it loads that; from
 * source a new thread cannot load TypeScript until tsx's loader is
 * registered in it (the main thread's `tsx` / vitest loader does not reach
 * worker threads), so it registers it first and loads worker-task.ts. Then
 * the handler modules named in workerData.preload, so a thread is ready
 * before its first call.
 */
import { existsSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

const compiled = new URL('./worker-task.js', import.meta.url);
let task;
if (existsSync(compiled)) {
  task = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  task = await import('./worker-task.ts');
}
const { loadHandler, runTask } = task;
for (const { module, handler } of workerData?.preload ?? []) {
  // A module that fails to load fails its calls (with the reason), not the thread.
  await loadHandler(module, handler).catch(() => {});
}

export default runTask;
