import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from '../shared/logger.ts';

/**
 * Serve the embedded database over the Postgres wire protocol on loopback, so
 * psql and `npm run sql` can inspect the registry while the data dir is locked
 * by this process. A taken port is a warning, not a failure.
 */
export async function startSqlPort(pglite: PGlite, port: number, logger: Logger): Promise<{ port: number; stop(): Promise<void> } | undefined> {
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port, maxConnections: 16 });
  try {
    await server.start();
  } catch (error) {
    logger.warn('SQL port not started: psql cannot reach the embedded database while Toolport runs', {
      port,
      error: (error as Error).message,
      hint: 'set TOOLPORT_SQL_PORT to a free port',
    });
    return undefined;
  }
  return { port, stop: () => server.stop() };
}
