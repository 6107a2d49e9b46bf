/**
 * The one error type of Toolport. Every failure that reaches a client is an
 * AppError with a code from a closed set; the HTTP status is derived from the
 * code in exactly one place (STATUS_BY_CODE).
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'request_timeout'
  | 'headers_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'handler_failed'
  | 'timeout'
  | 'internal';

export const STATUS_BY_CODE = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** The request line and headers did not arrive in time (answered by the listener, before any route). */
  request_timeout: 408,
  /** The request line (URL) and headers are over Node's limit (answered by the listener, before any route). */
  headers_too_large: 431,
  rate_limited: 429,
  unavailable: 503,
  handler_failed: 502,
  timeout: 504,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

/** Where a problem is in the input (a JSON pointer-like path) and what it is. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: FieldIssue[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: FieldIssue[]; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.extra = options.extra;
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    details?: FieldIssue[];
    server?: string;
    /** The request's id (its X-Request-Id; the audit entry's request_id). */
    requestId?: string;
    /** When the error was answered (ISO 8601, UTC). */
    timestamp: string;
    [key: string]: unknown;
  };
}

/** The one error envelope of REST and the gateway: code, message, the field issues, the server, the request id and the time. */
export function errorBody(error: AppError, server?: string, requestId?: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      ...(error.extra ?? {}),
      ...(server ? { server } : {}),
      ...(requestId ? { requestId } : {}),
      timestamp: new Date().toISOString(),
    },
  };
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
