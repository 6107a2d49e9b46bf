/** What to release when the bench ends, fails or is interrupted: processes, listeners, databases. */
import { log } from './common.ts';

export const cleanups: (() => Promise<unknown> | unknown)[] = [];
export async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      log(`cleanup: ${(error as Error).message}`);
    }
  }
}
/** Run `work` with `resource`, always releasing it. */
export async function using<T extends { stop(): Promise<void> }, R>(resource: T, work: (resource: T) => Promise<R>): Promise<R> {
  const release = () => resource.stop();
  cleanups.push(release);
  try {
    return await work(resource);
  } finally {
    cleanups.splice(cleanups.indexOf(release), 1);
    await resource.stop();
  }
}
