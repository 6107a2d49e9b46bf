/**
 * What a client (or /health) may be told about a database failure. Driver
 * and ORM error messages carry the SQL text and parameters of the failed
 * query (drizzle: "Failed query: select … params: …"), sometimes host names:
 * none of that leaves the process. The reason is built only from the error
 * code (ECONNREFUSED, CONNECTION_CLOSED, a SQLSTATE) and a fixed phrase per
 * code; the raw message stays in the server log.
 */

const PHRASES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  CONNECT_TIMEOUT: 'connection timed out',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CONNECTION_CLOSED: 'connection closed',
  CONNECTION_ENDED: 'connection ended',
  CONNECTION_DESTROYED: 'connection destroyed',
  '57P01': 'the database server is shutting down',
  '57P02': 'the database server crashed',
  '57P03': 'the database server is not accepting connections yet',
  '53300': 'too many connections',
};

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The SQLSTATE of a driver error, looked for along its cause chain (drizzle wraps the driver's error), if it has one. */
export function sqlStateOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SQLSTATE.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
const GENERIC = 'the database did not answer';

function phraseOf(code: string): string {
  const phrase = PHRASES[code] ?? (code.startsWith('08') ? 'connection failure' : SQLSTATE.test(code) ? 'database error' : undefined);
  return phrase ? `${phrase} (${code})` : `${code.toLowerCase().replace(/_/g, ' ')}`;
}

/** A safe reason for a thrown driver error: from the code along its cause chain (without one, as safeDatabaseReason reads its message). */
export function databaseFailureReason(error: unknown): string {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  const code = codes.find((item) => item in PHRASES || item.startsWith('08')) ?? codes[0];
  return code ? phraseOf(code) : safeDatabaseReason(error instanceof Error ? error.message : undefined);
}

const TIMEOUT = /\bno answer within \d+ ms\b/;
const OWN_FORMAT = /^[a-z][a-z ]{2,80} \(([A-Z0-9_]{2,40})\)$/;
const CODE_IN_TEXT = new RegExp(`\\b(${Object.keys(PHRASES).join('|')})\\b`);

/**
 * A safe reason for a failure already recorded as text (DatabaseHealth.error,
 * a health probe's error): only a recognised code or our own timeout phrase
 * survives; anything else becomes a generic reason.
 */
export function safeDatabaseReason(text: string | undefined): string {
  if (!text) return GENERIC;
  const own = OWN_FORMAT.exec(text); // already a reason of ours ("connection failure (08006)")
  if (own) return phraseOf(own[1]!);
  const timeout = TIMEOUT.exec(text);
  if (timeout) return timeout[0];
  const code = CODE_IN_TEXT.exec(text);
  return code ? phraseOf(code[1]!) : GENERIC;
}
