import { createRequire } from 'node:module';
import pino, { type DestinationStream } from 'pino';
import type { LogLevel } from './config.ts';

/**
 * The process's log: pino, one JSON line per event on stderr (stdout stays
 * free for the stdio MCP transport) — `level` as its name, `time` in ISO
 * 8601, the event's fields, `msg`. TOOLPORT_LOG_PRETTY=1 prints them for
 * people instead (pino-pretty, a dev dependency). Fields are passed
 * explicitly and secrets are never handed to it; pino's `redact` censors
 * credential-like fields anyway, as a second wall.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Fields censored wherever they are, at the top level or one level down (`headers.authorization`). */
const CREDENTIAL_FIELDS = ['authorization', 'cookie', 'password', 'passwd', 'secret', 'token', 'apiKey', 'api_key', 'key', 'credential', 'privateKey'];
export const REDACTED_PATHS = CREDENTIAL_FIELDS.flatMap((field) => [field, `*.${field}`]);
export const REDACTED = '[redacted]';

export interface LoggerOptions {
  /** TOOLPORT_LOG_PRETTY=1: human-readable lines (pino-pretty), when it is installed. */
  pretty?: boolean | undefined;
}

const require = createRequire(import.meta.url);

function prettyStream(): DestinationStream | undefined {
  try {
    const build = require('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
    return build({ destination: 2, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    process.stderr.write('TOOLPORT_LOG_PRETTY=1, but pino-pretty is not installed (it is a dev dependency): logging JSON lines\n');
    return undefined;
  }
}

/** `write` (tests) receives each line without its newline; default: stderr, written synchronously (nothing lost at exit). */
export function createLogger(level: LogLevel, write?: (line: string) => void, options: LoggerOptions = {}): Logger {
  const destination: DestinationStream =
    (write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : undefined) ??
    (options.pretty ? prettyStream() : undefined) ??
    pino.destination({ dest: 2, sync: true });
  const log = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
    },
    destination,
  );
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}

export const silentLogger: Logger = createLogger('silent');
