// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import * as v from 'valibot';
import type { StoredUpstream, UpstreamDraft } from '../db/upstream-store.ts';
import { AppError, type FieldIssue } from '../shared/errors.ts';
import { badSecretReferences, mentionsSecret } from '../shared/secrets.ts';
import { issuesToDetails } from '../shared/validation.ts';
import { requireObject } from './definition.ts';

/**
 * The bodies of POST/PATCH /upstreams and their checks. Credentials appear
 * by reference only: a header or env value whose name says it carries one
 * (authorization, cookie, …key, …token, …secret, …password) must hold a
 * `${secret:NAME}` reference, and a URL may not carry a password.
 */
export const UPSTREAM_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
const CREDENTIAL_NAME = /^(authorization|proxy-authorization|cookie)$|key|token|secret|passw|credential/i;

export const UPSTREAM_DEFAULTS = {
  description: '',
  headers: {},
  args: [],
  env: {},
  include: [],
  exclude: [],
  priority: 0,
  enabled: true,
  timeoutMs: 30_000,
  healthIntervalMs: 15_000,
  maxRetries: 2,
  failureThreshold: 3,
  recoveryTimeoutMs: 10_000,
  halfOpenMaxCalls: 1,
} as const;

const int = (min: number, max: number) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

/** A name → value map whose credential-looking entries are references. */
const values = (what: string) =>
  v.pipe(
    v.record(
      v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(256)),
      v.pipe(v.string('must be a string'), v.maxLength(8192)),
      'must be an object of strings',
    ),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      for (const [name, value] of Object.entries(dataset.value)) {
        const bad = badSecretReferences(value);
        if (bad.length) addIssue({ message: `${what} "${name}" has a malformed secret reference (${bad[0]}); write \${secret:NAME}` });
        else if (CREDENTIAL_NAME.test(name) && !mentionsSecret(value)) {
          addIssue({
            message: `${what} "${name}" carries a credential: write it as a reference such as \${secret:${name.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}} (its value in the environment variable TOOLPORT_SECRET_…), never the value`,
          });
        }
      }
    }),
  );

const url = v.pipe(
  v.string('must be a string'),
  v.maxLength(2048, 'must be at most 2048 characters'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const text = dataset.value;
    if (mentionsSecret(text)) return; // checked when it is resolved
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      addIssue({ message: 'must be an absolute http:// or https:// URL (the MCP endpoint, e.g. http://127.0.0.1:8080/mcp)' });
      return;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') addIssue({ message: 'must be an http:// or https:// URL' });
    else if (parsed.password) addIssue({ message: 'must not carry a password: send it in a header as a ${secret:NAME} reference' });
  }),
);

const globs = v.array(v.pipe(v.string('must be a string'), v.minLength(1), v.maxLength(128)), 'must be an array of tool-name globs');

const fields = {
  description: v.optional(v.pipe(v.string('must be a string'), v.maxLength(2000, 'must be at most 2000 characters'))),
  transport: v.optional(v.picklist(['streamable-http', 'stdio'], 'must be "streamable-http" or "stdio"')),
  url: v.optional(url),
  headers: v.optional(values('header')),
  command: v.optional(v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(1024))),
  args: v.optional(v.array(v.pipe(v.string('must be a string'), v.maxLength(4096)), 'must be an array of strings')),
  env: v.optional(values('env')),
  prefix: v.optional(v.pipe(v.string('must be a string'), v.regex(PREFIX, 'must be 1–64 of A–Z, a–z, 0–9, "_" and "-"'))),
  include: v.optional(globs),
  exclude: v.optional(globs),
  priority: v.optional(int(-1000, 1000)),
  enabled: v.optional(v.boolean('must be true or false')),
  timeoutMs: v.optional(int(100, 600_000)),
  healthIntervalMs: v.optional(int(100, 3_600_000)),
  maxRetries: v.optional(int(0, 10)),
  failureThreshold: v.optional(int(1, 1000)),
  recoveryTimeoutMs: v.optional(int(100, 3_600_000)),
  halfOpenMaxCalls: v.optional(int(1, 100)),
};

export const CreateUpstreamBodySchema = v.strictObject({
  id: v.pipe(v.string('must be a string'), v.regex(UPSTREAM_ID, 'must be 1–64 of a–z, 0–9, "_" and "-", starting with a letter or digit')),
  server: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')),
  ...fields,
});
export const PatchUpstreamBodySchema = v.strictObject({ id: v.optional(v.string()), server: v.optional(v.string()), ...fields });
const PatchSchema = v.strictObject(fields);

export type CreateUpstreamBody = v.InferOutput<typeof CreateUpstreamBodySchema>;
export type PatchUpstreamBody = v.InferOutput<typeof PatchSchema>;

const FIELD_NAMES = ['id', 'server', ...Object.keys(fields)];

function details(issues: readonly v.BaseIssue<unknown>[]): FieldIssue[] {
  return issuesToDetails(
    issues.map((issue) => {
      if (issue.kind !== 'schema' || issue.type !== 'strict_object') return issue;
      if (issue.expected === 'never') return { ...issue, message: `is not a field of an upstream (fields: ${FIELD_NAMES.join(', ')})` };
      if (issue.received === 'undefined') return { ...issue, message: 'is required' };
      return issue;
    }),
  );
}

function parse<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, requireObject(value, what), { abortPipeEarly: true });
  if (result.success) return result.output;
  const found = details(result.issues);
  throw new AppError('bad_request', `Invalid ${what}: ${found[0]!.path} ${found[0]!.message}`, { details: found });
}

/** The transport and what it needs agree (the table's CHECK says the same, in fewer words). */
function checkTransport(draft: UpstreamDraft, what: string): UpstreamDraft {
  if (draft.transport === 'streamable-http' && !draft.url) {
    throw new AppError('bad_request', `Invalid ${what}: /url is required for the streamable-http transport`, {
      details: [{ path: '/url', message: 'is required for the streamable-http transport (or send command, for stdio)' }],
    });
  }
  if (draft.transport === 'stdio' && !draft.command) {
    throw new AppError('bad_request', `Invalid ${what}: /command is required for the stdio transport`, {
      details: [{ path: '/command', message: 'is required for the stdio transport' }],
    });
  }
  return draft;
}

export function parseCreateUpstreamBody(value: unknown): { id: string; draft: UpstreamDraft } {
  const body = parse(CreateUpstreamBodySchema, value, 'upstream');
  const transport = body.transport ?? (body.command && !body.url ? 'stdio' : 'streamable-http');
  const draft: UpstreamDraft = {
    ...UPSTREAM_DEFAULTS,
    headers: { ...UPSTREAM_DEFAULTS.headers },
    env: { ...UPSTREAM_DEFAULTS.env },
    args: [],
    include: [],
    exclude: [],
    ...Object.fromEntries(Object.entries(body).filter(([key, item]) => item !== undefined && key !== 'id' && key !== 'server')),
    serverId: body.server,
    transport,
    url: body.url ?? null,
    command: body.command ?? null,
    prefix: body.prefix ?? body.id,
  } as UpstreamDraft;
  return { id: body.id, draft: checkTransport(draft, 'upstream') };
}

/** `current` with the fields sent; `id` and `server` cannot change (add a new upstream, then remove this one). */
export function patchedUpstream(current: StoredUpstream, value: unknown): UpstreamDraft {
  const body = requireObject(value, 'upstream change');
  for (const key of ['id', 'server'] as const) {
    const same = key === 'id' ? current.id : current.serverId;
    if (key in body && body[key] !== same) {
      throw new AppError('bad_request', `Invalid upstream change: /${key} cannot be changed (add an upstream with the new one, then remove this one)`, {
        details: [{ path: `/${key}`, message: 'cannot be changed' }],
      });
    }
  }
  const { id: _id, server: _server, ...rest } = body;
  const patch = parse(PatchSchema, rest, 'upstream change');
  const { id: _i, createdAt: _c, updatedAt: _u, ...draft } = current;
  const next = { ...draft, ...Object.fromEntries(Object.entries(patch).filter(([, item]) => item !== undefined)) } as UpstreamDraft;
  return checkTransport(next, 'upstream change');
}
