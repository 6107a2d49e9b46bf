import { DataSourceUnavailableError, SqlStatementError } from './types.ts';

/**
 * Telling a statement the database refused (the model can fix it) from a
 * source that cannot be reached (the tool is unavailable). Errors of both
 * drivers (postgres.js PostgresError, PGlite DatabaseError) carry the
 * SQLSTATE in `code` and the server's detail, hint and position; network
 * errors of Node carry an errno code (ECONNREFUSED …) and postgres.js adds its
 * own (CONNECT_TIMEOUT, CONNECTION_CLOSED …).
 */

interface DriverError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
  position?: unknown;
  severity?: unknown;
}

/** SQLSTATEs that mean "the connection, not the statement": class 08, admin shutdown / crash / cannot connect now, too many connections, auth, unknown database. */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '3D000']);
const CONNECTION_SQLSTATE_CLASSES = ['08', '28'];
/** Node socket errors and postgres.js's own connection codes. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as DriverError | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isSqlstate(code: string | undefined): code is string {
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code);
}

/** Whether the error says the source could not be reached or used at all (not what one statement did). */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code === undefined) return false;
  if (NETWORK_CODES.has(code)) return true;
  return isSqlstate(code) && (CONNECTION_SQLSTATES.has(code) || CONNECTION_SQLSTATE_CLASSES.includes(code.slice(0, 2)));
}

/** Whether the error is one the database reported about a statement (a SQLSTATE outside the connection classes). */
export function isStatementError(error: unknown): boolean {
  const code = codeOf(error);
  return isSqlstate(code) && !isConnectionError(error);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A driver's statement error as the contract's SqlStatementError, every text redacted. */
export function statementError(error: unknown, redact: (text: string) => string): SqlStatementError {
  const e = error as DriverError;
  const position = Number(e.position);
  const detail = text(e.detail);
  const hint = text(e.hint);
  return new SqlStatementError(redact(String(e.message ?? error)), codeOf(error) ?? 'XX000', {
    ...(detail ? { detail: redact(detail) } : {}),
    ...(hint ? { hint: redact(hint) } : {}),
    ...(Number.isInteger(position) && position > 0 ? { position } : {}),
  });
}

/** Why a connection failed, in words that never hold the URL's password. */
export function connectionReason(error: unknown, redact: (text: string) => string): string {
  const code = codeOf(error);
  const message = redact(String((error as DriverError | null)?.message ?? error));
  if (code === 'CONNECT_TIMEOUT') return `could not connect in time (${message})`;
  if (code === '3D000') return `the database does not exist (${message})`;
  if (code?.startsWith('28')) return `the server refused the credentials (${message})`;
  if (code === '53300') return `the server has no free connections (${message})`;
  return message.startsWith('connect ') ? `could not connect (${message})` : message;
}

/** An error of a transaction as the contract says: SqlStatementError, DataSourceUnavailableError, or the error itself (a bug, an abort). */
export function classify(error: unknown, sourceId: string, redact: (text: string) => string): unknown {
  if (error instanceof SqlStatementError || error instanceof DataSourceUnavailableError) return error;
  if (isConnectionError(error)) return new DataSourceUnavailableError(sourceId, connectionReason(error, redact));
  if (isStatementError(error)) return statementError(error, redact);
  if (error instanceof Error) {
    const redacted = redact(error.message);
    if (redacted !== error.message) return new Error(redacted);
  }
  return error;
}
