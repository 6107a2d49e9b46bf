// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import * as v from 'valibot';
import type { DataSourceDraft } from '../db/data-source-store.ts';
import { DATA_SOURCE_ACCESS, SAMPLES_SOURCE_ID } from '../providers/data-sources/types.ts';
import { AppError, type FieldIssue } from '../shared/errors.ts';
import { issuesToDetails } from '../shared/validation.ts';
import { requireObject } from './definition.ts';

/**
 * The bodies of data-source writes (POST/PATCH /data-sources, the CLI) and
 * their checks. The URL is only ever a `${secret:NAME}` reference: a literal
 * connection URL is refused without being repeated anywhere (it usually
 * carries a password).
 */

/** The servers' id rule (lowercase, digits, `_`, `-`), at most 64 characters; the table's CHECK says the same. */
export const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const SECRET_REFERENCE = /^\$\{secret:([A-Za-z_][A-Za-z0-9_]{0,127})\}$/;

export const SOURCE_DEFAULTS = { description: '', access: 'read_only', poolSize: 5, statementTimeoutMs: 5000, rowLimit: 1000, enabled: true } as const;

/** The secret a stored reference names (`${secret:NAME}` → NAME), undefined for none. */
export function referencedSecret(url: string | null): string | undefined {
  return url === null ? undefined : SECRET_REFERENCE.exec(url)?.[1];
}

const EXAMPLE = '${secret:ANALYTICS_DB_URL} (its value, the postgres:// URL, goes in the environment variable TOOLPORT_SECRET_ANALYTICS_DB_URL)';

/** Why `url` is not one secret reference, in words that never quote it. */
function urlProblem(url: string): string | undefined {
  if (SECRET_REFERENCE.test(url)) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim()) || url.includes('@')) {
    return `must be a secret reference such as ${EXAMPLE}: a literal connection URL is never stored`;
  }
  if (url.includes('${secret:')) return 'must be exactly one ${secret:NAME} reference and nothing around it (NAME: letters, digits and "_", at most 128)';
  return `must be a secret reference such as ${EXAMPLE}`;
}

const url = v.pipe(
  v.string('must be a string: a secret reference such as ${secret:ANALYTICS_DB_URL}'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = urlProblem(dataset.value);
    if (problem) addIssue({ message: problem });
  }),
);
const int = (min: number, max: number) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

const fields = {
  description: v.optional(v.pipe(v.string('must be a string'), v.maxLength(2000, 'must be at most 2000 characters'))),
  kind: v.optional(v.literal('postgres', 'must be "postgres" (the only kind)')),
  access: v.optional(v.picklist(DATA_SOURCE_ACCESS, `must be one of ${DATA_SOURCE_ACCESS.join(', ')}`)),
  poolSize: v.optional(int(1, 100)),
  statementTimeoutMs: v.optional(int(1, 3_600_000)),
  rowLimit: v.optional(int(1, 100_000)),
  enabled: v.optional(v.boolean('must be true or false')),
};

export const CreateSourceBodySchema = v.strictObject({
  id: v.pipe(v.string('must be a string'), v.regex(SOURCE_ID, 'must be 1–64 of a–z, 0–9, "_" and "-", starting with a letter or digit')),
  url,
  ...fields,
});
export const PatchSourceBodySchema = v.strictObject({ url: v.optional(url), ...fields });

export type CreateSourceBody = v.InferOutput<typeof CreateSourceBodySchema>;
export type PatchSourceBody = v.InferOutput<typeof PatchSourceBodySchema>;

const FIELD_NAMES = ['id', 'description', 'kind', 'url', 'access', 'poolSize', 'statementTimeoutMs', 'rowLimit', 'enabled'];

/** valibot's object issues say "Invalid key: …": a missing field and an unknown one get words of their own. */
function details(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  const worded = issues.map((issue) => {
    if (issue.kind !== 'schema' || issue.type !== 'strict_object') return issue;
    if (issue.expected === 'never') return { ...issue, message: `is not a field of a data source (fields: ${FIELD_NAMES.join(', ')})` };
    if (issue.received === 'undefined') return { ...issue, message: 'is required' };
    return issue;
  });
  return issuesToDetails(worded);
}

function parse<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, requireObject(value, what), { abortPipeEarly: true });
  if (result.success) return result.output;
  const found = details(result.issues);
  throw new AppError('bad_request', `Invalid ${what}: ${found[0]!.path} ${found[0]!.message}`, { details: found });
}

export function parseCreateSourceBody(value: unknown): CreateSourceBody {
  const id = (value as { id?: unknown } | null)?.id;
  if (id === SAMPLES_SOURCE_ID) {
    throw new AppError(
      'conflict',
      `"${SAMPLES_SOURCE_ID}" is the built-in source over the sample tables: it always exists and cannot be added. ` +
        'PATCH /data-sources/samples changes its description, enabled, rowLimit or statementTimeoutMs',
      { details: [{ path: '/id', message: 'is the built-in samples source' }] },
    );
  }
  return parse(CreateSourceBodySchema, value, 'data source');
}

/** `id` may be sent only with the value of the path (a source is not renamed: add the new one, then remove the old). */
export function parsePatchSourceBody(value: unknown, id: string): PatchSourceBody {
  const body = requireObject(value, 'data source change');
  if ('id' in body) {
    if (body.id !== id) {
      throw new AppError('bad_request', 'Invalid data source change: /id cannot be changed (add a source under the new id, then remove this one)', {
        details: [{ path: '/id', message: 'cannot be changed' }],
      });
    }
    const { id: _same, ...rest } = body;
    return parse(PatchSourceBodySchema, rest, 'data source change');
  }
  return parse(PatchSourceBodySchema, body, 'data source change');
}

/** What may change on the built-in source: everything else is Toolport's own database and its read-only role. */
const SAMPLES_CHANGEABLE = new Set(['description', 'enabled', 'rowLimit', 'statementTimeoutMs']);

/** The draft of a new source: the body over the defaults. */
export function createDraft(body: CreateSourceBody): DataSourceDraft {
  return {
    description: body.description ?? SOURCE_DEFAULTS.description,
    url: body.url,
    access: body.access ?? SOURCE_DEFAULTS.access,
    poolSize: body.poolSize ?? SOURCE_DEFAULTS.poolSize,
    statementTimeoutMs: body.statementTimeoutMs ?? SOURCE_DEFAULTS.statementTimeoutMs,
    rowLimit: body.rowLimit ?? SOURCE_DEFAULTS.rowLimit,
    enabled: body.enabled ?? SOURCE_DEFAULTS.enabled,
  };
}

/** `current` with the patch applied; on the built-in source only SAMPLES_CHANGEABLE fields may be sent. */
export function patchedDraft(id: string, current: DataSourceDraft, patch: PatchSourceBody): DataSourceDraft {
  if (id === SAMPLES_SOURCE_ID) {
    const refused = Object.keys(patch).filter((key) => patch[key as keyof PatchSourceBody] !== undefined && !SAMPLES_CHANGEABLE.has(key));
    if (refused.length) {
      throw new AppError(
        'bad_request',
        `Invalid data source change: /${refused[0]} cannot be changed on the built-in "${SAMPLES_SOURCE_ID}" source ` +
          `(it reads Toolport's own database through a read-only role); only ${[...SAMPLES_CHANGEABLE].join(', ')} may change`,
        { details: refused.map((key) => ({ path: `/${key}`, message: `cannot be changed on the built-in "${SAMPLES_SOURCE_ID}" source` })) },
      );
    }
  }
  return {
    description: patch.description ?? current.description,
    url: patch.url ?? current.url,
    access: patch.access ?? current.access,
    poolSize: patch.poolSize ?? current.poolSize,
    statementTimeoutMs: patch.statementTimeoutMs ?? current.statementTimeoutMs,
    rowLimit: patch.rowLimit ?? current.rowLimit,
    enabled: patch.enabled ?? current.enabled,
  };
}
