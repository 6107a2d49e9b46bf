import { isTypeFetchFailure } from '../db/driver-errors.ts';
import type { Logger } from '../shared/logger.ts';

let installed = false;

/**
 * Keeps the process alive through postgres.js's unawaited type fetch failing
 * on a connection lost while it was being set up (db/driver-errors.ts): a
 * warning, and the next query reconnects. Any other unhandled rejection is
 * thrown again, so it still ends the process as Node would. Installed once,
 * by the commands that serve (serve, mcp).
 */
export function guardDriverRejections(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    if (!isTypeFetchFailure(reason)) throw reason;
    const code = (reason as { code?: unknown }).code;
    logger.warn('a database connection was lost while it was being set up; the next query reconnects', { code: typeof code === 'string' ? code : undefined });
  });
}
