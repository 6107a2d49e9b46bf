// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import * as v from 'valibot';

/**
 * The `handler_config` of an `http` tool: its shape as a valibot schema (also
 * published as JSON Schema for forms, so only actions JSON Schema can express
 * are used here). Rules that need more than the shape — the URL template, the
 * JMESPath syntax, secret references, how the config relates to the tool's
 * input schema — are in check.ts.
 */

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type HttpMethod = (typeof METHODS)[number];

/** Methods whose body defaults to "none" (and for which GET/HEAD cannot have one at all). */
export const BODYLESS_BY_DEFAULT: ReadonlySet<string> = new Set(['GET', 'DELETE', 'HEAD']);

export const DEFAULT_MAX_RESPONSE_BYTES = 1_048_576;
export const MAX_RESPONSE_BYTES_LIMIT = 16 * 1_048_576;

/** The argument-name rule of the short `parameters` form (definition.ts), so every declared parameter can be placed. */
const ARGUMENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

const unknownKey =
  (known: string) =>
  (issue: { expected: string | null; received: string }): string =>
    issue.expected === 'never' ? `is not a known field (known: ${known})` : 'must be a JSON object';

const argumentName = v.pipe(
  v.string('must be a string'),
  v.regex(ARGUMENT_NAME, 'must be an argument name (letters, digits, _ . -, starting with a letter or _)'),
);
const headerName = v.pipe(v.string('must be a string'), v.regex(HEADER_NAME, "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)"));
const headerValue = v.pipe(v.string('must be a string'), v.maxLength(8192, 'must be at most 8192 characters'));
const int = (min: number, max: number) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

const retryFields = 'attempts, backoffMs, maxBackoffMs, unsafe';
const RetrySchema = v.strictObject(
  {
    attempts: v.optional(v.pipe(int(1, 5), v.description('Tries in all, 1–5 (1 = no retry).')), 1),
    backoffMs: v.optional(v.pipe(int(0, 60_000), v.description('Base of the exponential backoff (full jitter), ms.')), 200),
    maxBackoffMs: v.optional(v.pipe(int(0, 60_000), v.description('Cap of one backoff wait, ms.')), 2000),
    unsafe: v.optional(
      v.pipe(v.boolean('must be true or false'), v.description('Also retry POST and PATCH (not idempotent): only if the upstream tolerates a repeat.')),
      false,
    ),
  },
  unknownKey(retryFields),
);

export const CONFIG_FIELDS = [
  'method',
  'url',
  'query',
  'staticQuery',
  'headerArgs',
  'headers',
  'body',
  'timeoutMs',
  'retry',
  'maxResponseBytes',
  'select',
  'origin',
] as const;

/** The config schema; `timeoutMs` is bounded by this process's call timeout (TOOLPORT_CALL_TIMEOUT_MS). */
export function httpConfigSchema(callTimeoutMs: number) {
  return v.strictObject(
    {
      method: v.optional(v.pipe(v.picklist(METHODS, `must be one of ${METHODS.join(', ')}`), v.description('HTTP method.')), 'GET'),
      url: v.pipe(
        v.string('must be a string'),
        v.minLength(1, 'must not be empty'),
        v.maxLength(4096, 'must be at most 4096 characters'),
        v.regex(/^[Hh][Tt][Tt][Pp][Ss]?:\/\//, 'must be an absolute http:// or https:// URL'),
        v.description('URL template: each {name} is filled from the argument of that name, percent-encoded.'),
      ),
      query: v.optional(
        v.pipe(v.array(argumentName, 'must be an array of argument names'), v.description('Arguments sent as query parameters (an array repeats the key).')),
        [],
      ),
      staticQuery: v.optional(
        v.pipe(
          v.record(v.pipe(v.string(), v.minLength(1, 'must not be empty')), v.string('must be a string')),
          v.description('Fixed query parameters; values may hold ${secret:NAME} references (API keys).'),
        ),
        {},
      ),
      headerArgs: v.optional(
        v.pipe(v.record(argumentName, headerName), v.description('{ "<argument>": "<Header-Name>" }: arguments sent as request headers.')),
        {},
      ),
      headers: v.optional(v.pipe(v.record(headerName, headerValue), v.description('Fixed request headers; values may hold ${secret:NAME} references.')), {}),
      body: v.optional(
        v.pipe(
          v.picklist(['arguments', 'none'], 'must be "arguments" or "none"'),
          v.description(
            '"arguments": a JSON object of the arguments not used in url, query or headerArgs (default for POST/PUT/PATCH); "none" (default for GET/DELETE/HEAD).',
          ),
        ),
      ),
      timeoutMs: v.optional(
        v.pipe(
          int(1, callTimeoutMs),
          v.description(`Time for the whole request, retries included, ms (at most the call timeout, ${callTimeoutMs}; default: the call timeout).`),
        ),
      ),
      retry: v.optional(v.pipe(RetrySchema, v.description('Retries on connection errors, 429, 502, 503 and 504.')), {}),
      maxResponseBytes: v.optional(
        v.pipe(int(1, MAX_RESPONSE_BYTES_LIMIT), v.description('Largest response body accepted; a larger one fails the call.')),
        DEFAULT_MAX_RESPONSE_BYTES,
      ),
      select: v.optional(
        v.pipe(
          v.string('must be a string'),
          v.minLength(1, 'must not be empty'),
          v.maxLength(2000, 'must be at most 2000 characters'),
          v.description('JMESPath expression applied to a JSON response.'),
        ),
      ),
      origin: v.optional(
        v.pipe(
          v.record(v.string(), v.unknown()),
          v.description('Where the tool came from (set by importers, e.g. { "openapi": "…", "operation": "GET /pets" }); not used by the call.'),
        ),
      ),
    },
    unknownKey(CONFIG_FIELDS.join(', ')),
  );
}

export type HttpConfig = v.InferOutput<ReturnType<typeof httpConfigSchema>>;

/** `body` as the call uses it: the explicit value, else the method's default. */
export function bodyMode(config: HttpConfig): 'arguments' | 'none' {
  return config.body ?? (BODYLESS_BY_DEFAULT.has(config.method) ? 'none' : 'arguments');
}
