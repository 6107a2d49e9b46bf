import { Hono, type MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { AuditCursor, AuditFilter, AuditPage, StoredAuditEntry } from '../../db/audit-store.ts';
import { AppError } from '../../shared/errors.ts';
import { parseOrThrow } from '../../shared/validation.ts';
import type { RestEnv } from '../env.ts';

/**
 * GET /audit: who did what, when — newest first, filtered, keyset-paged
 * (`nextCursor` stays correct while rows are added). Admin only: the guard
 * is passed in (requireScope('admin'), after the credential middleware).
 */
export interface AuditRoutesDeps {
  reader: { list(filter: AuditFilter): Promise<AuditPage> };
  /** Guards the route. */
  auth: MiddlewareHandler<RestEnv>;
  /** Run before each read: flushing this process's queue, so its own last second of events shows. */
  beforeRead?: () => Promise<void>;
  now?: () => number;
}

export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;

const PARAMETERS = ['server', 'tool', 'actor', 'action', 'outcome', 'since', 'until', 'limit', 'cursor'] as const;

const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const WORD = /^[a-z][a-z0-9_.-]{0,63}$/;
const DURATION = /^(\d{1,9})(s|m|h|d)$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** ISO 8601 (a date, or a date-time; UTC when it has no offset) or a duration back from now (`15m`, `24h`, `7d`). */
function timeParameter(now: () => number) {
  return v.pipe(
    v.string(),
    v.check(
      (text) => DURATION.test(text) || (TIMESTAMP.test(text) && Number.isFinite(toDate(text, now).getTime())),
      'must be an ISO 8601 time (2026-12-01T09:30:00Z) or a duration back from now (15m, 24h, 7d)',
    ),
    v.transform((text) => toDate(text, now)),
  );
}

function toDate(text: string, now: () => number): Date {
  const duration = DURATION.exec(text);
  if (duration) return new Date(now() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) || !text.includes('T');
  return new Date(hasOffset ? text : `${text}Z`);
}

export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(`${cursor.atMicros}.${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeAuditCursor(text: string): AuditCursor | undefined {
  const match = /^(-?\d{1,20})\.(\d{1,20})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match || encodeAuditCursor({ atMicros: match[1]!, id: match[2]! }) !== text) return undefined;
  return { atMicros: match[1]!, id: match[2]! };
}

/** GET /audit's filters (the OpenAPI document shows them from this schema too). */
export function auditQuerySchema(now: () => number) {
  return v.object({
    server: v.optional(v.pipe(v.string(), v.regex(NAME, 'must be a server id (1–128 of A–Z, a–z, 0–9, "_", "." and "-")'))),
    tool: v.optional(v.pipe(v.string(), v.regex(NAME, 'must be a tool name (1–128 of A–Z, a–z, 0–9, "_", "." and "-")'))),
    actor: v.optional(
      v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,256}$/, 'must be an actor (key:<id>, admin-token, local, sql:<role> …), optionally ending in * for a prefix')),
    ),
    action: v.optional(v.pipe(v.string(), v.regex(WORD, 'must be an action (call, create, update, delete, key.create …)'))),
    outcome: v.optional(v.pipe(v.string(), v.regex(WORD, 'must be an outcome (ok, tool_error, or an error code)'))),
    since: v.optional(timeParameter(now)),
    until: v.optional(timeParameter(now)),
    limit: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d{1,7}$/, `must be an integer from 1 to ${AUDIT_MAX_LIMIT}`),
        v.transform(Number),
        v.minValue(1, `must be an integer from 1 to ${AUDIT_MAX_LIMIT}`),
        v.maxValue(AUDIT_MAX_LIMIT, `must be at most ${AUDIT_MAX_LIMIT}`),
      ),
      String(AUDIT_DEFAULT_LIMIT),
    ),
    cursor: v.optional(
      v.pipe(
        v.string(),
        v.check((text) => decodeAuditCursor(text) !== undefined, 'is not a cursor this server issued (pass nextCursor back unchanged)'),
        v.transform((text) => decodeAuditCursor(text)!),
      ),
    ),
  });
}

/** One value per known parameter; an unknown or repeated one is a 400 naming it (a typo must not silently widen the result). */
function singleValues(queries: Record<string, string[]>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, list] of Object.entries(queries)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new AppError('bad_request', `Invalid query: /${name} is not a parameter of GET /audit (known: ${PARAMETERS.join(', ')})`, {
        details: [{ path: `/${name}`, message: 'unknown parameter' }],
      });
    }
    if (list.length > 1) {
      throw new AppError('bad_request', `Invalid query: /${name} is given ${list.length} times; give it once`, {
        details: [{ path: `/${name}`, message: 'repeated' }],
      });
    }
    values[name] = list[0]!;
  }
  return values;
}

function view(entry: StoredAuditEntry) {
  return {
    id: entry.id,
    at: entry.at,
    requestId: entry.requestId,
    actor: entry.actor,
    actorName: entry.actorName,
    server: entry.serverId,
    tool: entry.tool,
    action: entry.action,
    outcome: entry.outcome,
    durationMs: entry.durationMs,
    versionBefore: entry.versionBefore,
    versionAfter: entry.versionAfter,
    argumentsDigest: entry.argumentsDigest,
    ...(entry.arguments === null ? {} : { arguments: entry.arguments }),
    details: entry.details,
  };
}

export function auditRoutes({ reader, auth, beforeRead, now = Date.now }: AuditRoutesDeps) {
  const schema = auditQuerySchema(now);
  const app = new Hono<RestEnv>();
  app.use('*', auth);
  app.get('/', async (c) => {
    const query = parseOrThrow(schema, singleValues(c.req.queries()), 'query');
    if (query.since && query.until && query.since.getTime() >= query.until.getTime()) {
      throw new AppError('bad_request', 'Invalid query: /until must be later than since', {
        details: [{ path: '/until', message: 'must be later than since' }],
      });
    }
    await beforeRead?.();
    const page = await reader.list({
      serverId: query.server,
      tool: query.tool,
      actor: query.actor,
      action: query.action,
      outcome: query.outcome,
      since: query.since,
      until: query.until,
      limit: query.limit,
      after: query.cursor,
    });
    return c.json({ count: page.entries.length, entries: page.entries.map(view), nextCursor: page.next ? encodeAuditCursor(page.next) : null });
  });
  return app;
}
