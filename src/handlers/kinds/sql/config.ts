import * as v from 'valibot';

/**
 * The `handler_config` of an `sql` tool: its shape as a valibot schema (also
 * published as JSON Schema for forms). Rules that need more than the shape —
 * the statement's placeholders against the tool's input schema, the
 * allow-lists — are in check.ts; the source's own rules (exists, enabled,
 * read_write for `write: true`) are the tool's availability.
 */

export const CONFIG_FIELDS = ['source', 'statement', 'identifiers', 'write', 'rowLimit', 'timeoutMs'] as const;

/** The largest row limit a tool may ask for; the source's own limit caps it further at call time. */
export const MAX_ROW_LIMIT = 100_000;
/** The byte limit of one result (its rows' JSON): a result past it is truncated. */
export const MAX_RESULT_BYTES = 1_048_576;

const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const unknownKey =
  (known: string) =>
  (issue: { expected: string | null; received: string }): string =>
    issue.expected === 'never' ? `is not a known field (known: ${known})` : 'must be a JSON object';

const int = (min: number, max: number) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

/** The config schema; `timeoutMs` is bounded by this process's call timeout (TOOLPORT_CALL_TIMEOUT_MS). */
export function sqlConfigSchema(callTimeoutMs: number) {
  return v.strictObject(
    {
      source: v.pipe(
        v.string('must be a string'),
        v.regex(SOURCE_ID, 'must be a data source id (lower-case letters, digits, _ and -)'),
        v.description('The data source the statement runs on (GET /data-sources; "samples" is built in).'),
      ),
      statement: v.pipe(
        v.string('must be a string'),
        v.minLength(1, 'must not be empty'),
        v.maxLength(100_000, 'must be at most 100000 characters'),
        v.description(
          'One SQL statement. :name is the argument of that name, bound as a query parameter (never spliced into the text); ' +
            '{{name}} is an identifier (a table, a column) taken from the allow-list in identifiers and quoted.',
        ),
      ),
      identifiers: v.optional(
        v.pipe(
          v.record(
            v.pipe(v.string(), v.regex(NAME, 'must be an argument name (letters, digits and _)')),
            v.pipe(
              v.array(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')), 'must be an array of allowed values'),
              v.minLength(1, 'must allow at least one value'),
              v.maxLength(1000, 'must allow at most 1000 values'),
            ),
          ),
          v.description(
            '{ "<argument>": ["allowed", "values"] }: the values each {{argument}} may take; a value is an identifier, "schema.table" for a qualified one.',
          ),
        ),
        {},
      ),
      write: v.optional(
        v.pipe(
          v.boolean('must be true or false'),
          v.description('Run in a read-write transaction (the source must be read_write); otherwise every call is READ ONLY.'),
        ),
        false,
      ),
      rowLimit: v.optional(
        v.pipe(int(1, MAX_ROW_LIMIT), v.description("At most this many rows per result (default and upper bound: the source's row limit).")),
      ),
      timeoutMs: v.optional(
        v.pipe(
          int(1, callTimeoutMs),
          v.description(`statement_timeout of the call, ms (at most the call timeout, ${callTimeoutMs}; default: the source's statement timeout).`),
        ),
      ),
    },
    unknownKey(CONFIG_FIELDS.join(', ')),
  );
}

export type SqlConfig = v.InferOutput<ReturnType<typeof sqlConfigSchema>>;
