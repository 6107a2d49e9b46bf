import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketHandler, PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { resolveSqlPassword } from '../db/sql-password.ts';
import type { Logger } from '../shared/logger.ts';
import { authenticate, errorResponse, scramSecret } from './sql-auth.ts';

const HOST = '127.0.0.1';
/** Authenticated sessions at once (each is a queue slot on the one embedded session). */
const MAX_CONNECTIONS = 16;
/** Connections still authenticating at once. */
const MAX_PENDING = 32;
const AUTH_TIMEOUT_MS = 10_000;

export interface SqlPortOptions {
  port: number;
  /** The data dir: the generated password is kept beside it. */
  dataDir: string;
  /** TOOLPORT_SQL_PASSWORD; undefined: the generated one. */
  password: string | undefined;
  logger: Logger;
  /**
   * Called once a client's statement has run (a simple Query, or the Sync
   * that ends an extended-protocol batch), coalesced: the change feed checks
   * at once, so a psql edit goes live without waiting for the poll.
   */
  afterStatement?: () => void;
}

export interface SqlPort {
  port: number;
  /** Where the password is kept (undefined: it comes from TOOLPORT_SQL_PASSWORD, or the database is in memory). */
  passwordFile: string | undefined;
  stop(): Promise<void>;
}

/** A shell word for a path in a copy-paste hint. */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Serve the embedded database over the Postgres wire protocol on loopback, so
 * psql and `npm run sql` can inspect the registry while the data dir is locked
 * by this process. Every connection must pass SCRAM-SHA-256 with the SQL
 * password first (sql-auth.ts); only then does pglite-socket see it. A taken
 * port is a warning, not a failure.
 */
export async function startSqlPort(pglite: PGlite, options: SqlPortOptions): Promise<SqlPort | undefined> {
  const { logger } = options;
  let password: ReturnType<typeof resolveSqlPassword>;
  try {
    password = resolveSqlPassword(options.dataDir, options.password);
  } catch (error) {
    logger.warn('SQL port not started: its password file cannot be used', { error: (error as Error).message });
    return undefined;
  }
  const announce = () => {
    if (password.created) {
      // The one log line that ever shows the password: under a field name the log's redaction (REDACTED_PATHS) leaves alone, on purpose.
      logger.warn(
        password.file
          ? 'SQL port password generated (shown only this once; kept in the file, which `npm run sql` reads)'
          : 'SQL port password generated for this in-memory database (set TOOLPORT_SQL_PASSWORD to choose one)',
        { generatedPassword: password.password, ...(password.file ? { file: password.file } : {}) },
      );
    }
    if (password.tightened) logger.warn('SQL port password file was readable by others: permissions set to 0600', { file: password.file });
  };
  const secret = scramSecret(password.password);

  // pglite-socket's handler runs the protocol once a client is past the password; its query
  // queue (one at a time on the embedded session, transactions kept together) lives in the server object.
  const { PGLiteSocketServer, PGLiteSocketHandler } = await import('@electric-sql/pglite-socket');
  const queue = (new PGLiteSocketServer({ db: pglite, host: HOST, port: 0 }) as unknown as { queryQueue?: PGLiteSocketHandlerOptions['queryQueue'] })
    .queryQueue;
  if (!queue) {
    announce();
    logger.warn('SQL port not started: this version of @electric-sql/pglite-socket is not supported');
    return undefined;
  }

  if (options.afterStatement) watchStatements(queue, options.afterStatement);

  const pending = new Set<Socket>();
  const handlers = new Set<PGLiteSocketHandler>();
  let stopping = false;

  const admit = (socket: Socket, startup: Buffer, rest: Buffer) => {
    if (stopping || socket.destroyed) return void socket.destroy();
    if (handlers.size >= MAX_CONNECTIONS) {
      socket.end(errorResponse('53300', 'sorry, too many clients already'));
      return;
    }
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    const forget = () => handlers.delete(handler);
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    // attach() registers its listeners before it returns: the held StartupMessage goes first, then anything later.
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
    socket.emit('data', rest.length ? Buffer.concat([startup, rest]) : startup);
  };

  const server: Server = createServer((socket) => {
    // A reset from a client (refused or not) must never become an uncaught 'error' event.
    socket.on('error', () => {});
    if (stopping || pending.size >= MAX_PENDING) {
      socket.end(errorResponse('53300', 'sorry, too many clients already'));
      return;
    }
    socket.setNoDelay(true);
    pending.add(socket);
    socket.once('close', () => pending.delete(socket));
    authenticate(socket, {
      secret,
      timeoutMs: AUTH_TIMEOUT_MS,
      onAuthenticated(authenticated, startup, rest) {
        pending.delete(authenticated);
        admit(authenticated, startup, rest);
      },
      onRejected({ code, reason, user, remote, abandoned }) {
        pending.delete(socket);
        // A client that hangs up at the password request (psql does, to prompt for one; pg_isready) is routine.
        (abandoned ? logger.debug : logger.warn)('SQL port: connection refused', { code, reason, user, remote });
      },
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    announce();
    logger.warn('SQL port not started: psql cannot reach the embedded database while Toolport runs', {
      port: options.port,
      error: (error as Error).message,
      hint: 'set TOOLPORT_SQL_PORT to a free port',
    });
    return undefined;
  }
  announce();
  server.on('error', (error) => logger.warn('SQL port error', { error: error.message }));
  const port = (server.address() as { port: number }).port;
  const passwordHint = password.file
    ? `PGPASSWORD=$(cat ${shellQuote(password.file)})`
    : options.password !== undefined
      ? 'PGPASSWORD="$TOOLPORT_SQL_PASSWORD"'
      : 'PGPASSWORD=<the generated password above>';
  logger.info('SQL port (embedded database)', {
    port,
    auth: 'scram-sha-256',
    ...(password.file ? { passwordFile: password.file } : { password: options.password !== undefined ? 'TOOLPORT_SQL_PASSWORD' : 'generated (in memory)' }),
    psql: `${passwordHint} psql -h ${HOST} -p ${port} -U postgres`,
  });

  return {
    port,
    passwordFile: password.file,
    async stop() {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of pending) socket.destroy();
      pending.clear();
      await Promise.all([...handlers].map((handler) => handler.detach(true).catch(() => {})));
      handlers.clear();
      await closed;
    },
  };
}

const READY_FOR_QUERY = 'Z'.charCodeAt(0);
const IDLE = 'I'.charCodeAt(0);
const COALESCE_MS = 5;

/** The response ends with ReadyForQuery saying the session is idle (not inside a transaction): `Z`, length 5, `I`. */
function endsIdle(data: Uint8Array): boolean {
  const at = data.length - 6;
  return (
    at >= 0 && data[at] === READY_FOR_QUERY && data[at + 1] === 0 && data[at + 2] === 0 && data[at + 3] === 0 && data[at + 4] === 5 && data[at + 5] === IDLE
  );
}

/**
 * Wrap the socket server's query queue so `notify` runs after each statement
 * that left the session idle (at most once per COALESCE_MS): a committed
 * edit, not one inside a client's open transaction (which shares the one
 * embedded session with this process's own queries) nor between its Parse,
 * Bind and Execute messages.
 */
function watchStatements(queue: PGLiteSocketHandlerOptions['queryQueue'], notify: () => void): void {
  const enqueue = queue.enqueue.bind(queue);
  let timer: NodeJS.Timeout | undefined;
  queue.enqueue = (handlerId, message, onData) =>
    enqueue(handlerId, message, (data) => {
      onData(data);
      if (endsIdle(data) && !timer) {
        timer = setTimeout(() => {
          timer = undefined;
          notify();
        }, COALESCE_MS);
        timer.unref();
      }
    });
}
