import type { Database, Row } from './client.ts';

/**
 * Reads and writes of the `audit_log` table (migrations/0008_audit_log.sql).
 * Raw SQL on purpose: a batch is one INSERT … SELECT FROM json_to_recordset
 * of one JSON parameter — one statement text for any batch size (postgres.js
 * prepares each distinct text per connection; a VALUES list of 1…500 rows
 * would be 500 of them), and the same on PGlite and PostgreSQL. `json`, not
 * `jsonb`: the batch is read once, so making a jsonb document of it first
 * only costs (measured: the INSERT took 22.5 against 30 µs per row in
 * 500-row batches).
 */

/** The columns an entry is written with and read back as (JSON columns aside). */
interface AuditColumns {
  requestId: string | null;
  actor: string;
  actorName: string | null;
  serverId: string | null;
  tool: string | null;
  action: string;
  outcome: string;
  durationMs: number | null;
  versionBefore: number | null;
  versionAfter: number | null;
  argumentsDigest: string | null;
}

/** One row as the queue hands it over: already normalized, JSON columns as JSON text. */
export interface AuditInsert extends AuditColumns {
  /** ISO 8601. */
  at: string;
  /** JSON text, or null. */
  argumentsJson: string | null;
  /** JSON text, or null. */
  detailsJson: string | null;
}

/** One row as read back. `id` is text: a bigserial can outgrow a JS number. */
export interface StoredAuditEntry extends AuditColumns {
  id: string;
  at: string;
  arguments: unknown;
  details: unknown;
}

/** Where a page ended: the last row's time (microseconds since the epoch, exact) and id. */
export interface AuditCursor {
  atMicros: string;
  id: string;
}

export interface AuditFilter {
  serverId?: string;
  tool?: string;
  /** Exact, or a prefix when it ends in `*` (`key:*`, `sql:*`). */
  actor?: string;
  action?: string;
  outcome?: string;
  /** at >= since */
  since?: Date;
  /** at < until */
  until?: Date;
  limit: number;
  /** Rows strictly older (by at, then id) than this one. */
  after?: AuditCursor;
}

export interface AuditPage {
  entries: StoredAuditEntry[];
  /** Set when more rows match: pass it back as `after`. */
  next: AuditCursor | undefined;
}

const COLUMNS = `at timestamptz, request_id text, actor text, actor_name text, server_id text, tool text, action text, outcome text,
  duration_ms real, version_before integer, version_after integer, arguments_digest text, arguments jsonb, details jsonb`;

const INSERT = `INSERT INTO audit_log (at, request_id, actor, actor_name, server_id, tool, action, outcome, duration_ms,
    version_before, version_after, arguments_digest, arguments, details)
  SELECT at, request_id, actor, actor_name, server_id, tool, action, outcome, duration_ms,
    version_before, version_after, arguments_digest, arguments, details
  FROM json_to_recordset($1::json) AS r(${COLUMNS})`;

/**
 * JSON escapes PostgreSQL refuses in jsonb and text: `\u0000`. Only a real
 * escape is replaced (preceded by an even number of backslashes), with U+FFFD.
 */
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

function rowJson(row: AuditInsert): string {
  const { argumentsJson, detailsJson, ...plain } = row;
  const head = JSON.stringify({
    at: plain.at,
    request_id: plain.requestId,
    actor: plain.actor,
    actor_name: plain.actorName,
    server_id: plain.serverId,
    tool: plain.tool,
    action: plain.action,
    outcome: plain.outcome,
    duration_ms: plain.durationMs,
    version_before: plain.versionBefore,
    version_after: plain.versionAfter,
    arguments_digest: plain.argumentsDigest,
  });
  // The JSON columns are spliced in as the text they already are: no parse and re-stringify per row.
  return `${head.slice(0, -1)},"arguments":${argumentsJson ?? 'null'},"details":${detailsJson ?? 'null'}}`;
}

function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

function storedEntry(row: Row): StoredAuditEntry {
  return {
    id: String(row.id),
    at: iso(row.at),
    requestId: (row.request_id as string | null) ?? null,
    actor: row.actor as string,
    actorName: (row.actor_name as string | null) ?? null,
    serverId: (row.server_id as string | null) ?? null,
    tool: (row.tool as string | null) ?? null,
    action: row.action as string,
    outcome: row.outcome as string,
    durationMs: row.duration_ms === null || row.duration_ms === undefined ? null : Number(row.duration_ms),
    versionBefore: (row.version_before as number | null) ?? null,
    versionAfter: (row.version_after as number | null) ?? null,
    argumentsDigest: (row.arguments_digest as string | null) ?? null,
    arguments: row.arguments ?? null,
    details: row.details ?? null,
  };
}

/** `key:*` → `key:%` for LIKE, with the pattern characters of the prefix escaped. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

export class AuditStore {
  constructor(private readonly database: Pick<Database, 'query'>) {}

  /** Write a batch as one statement. Rejects as a whole (nothing written) when any row is refused. */
  async insert(rows: readonly AuditInsert[]): Promise<void> {
    if (rows.length === 0) return;
    let payload = `[${rows.map(rowJson).join(',')}]`;
    if (payload.includes('\\u0000')) payload = payload.replace(NUL_ESCAPE, '$1\\ufffd');
    await this.database.query(INSERT, [payload]);
  }

  /** Delete up to `limit` rows older than `cutoff` (oldest first); how many went. Small chunks keep each transaction and its locks short. */
  async deleteOlderThan(cutoff: Date, limit: number): Promise<number> {
    const result = await this.database.query(
      `WITH gone AS (
         DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1::timestamptz ORDER BY at LIMIT $2::int) RETURNING 1
       ) SELECT count(*)::int AS deleted FROM gone`,
      [cutoff.toISOString(), limit],
    );
    return Number(result.rows[0]?.deleted ?? 0);
  }

  /** Newest first (at, then id, descending); keyset pagination: stable while rows are added. */
  async list(filter: AuditFilter): Promise<AuditPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.serverId !== undefined) where.push(`server_id = ${bind(filter.serverId)}`);
    if (filter.tool !== undefined) where.push(`tool = ${bind(filter.tool)}`);
    if (filter.actor !== undefined) {
      where.push(filter.actor.endsWith('*') ? `actor LIKE ${bind(likePrefix(filter.actor.slice(0, -1)))}` : `actor = ${bind(filter.actor)}`);
    }
    if (filter.action !== undefined) where.push(`action = ${bind(filter.action)}`);
    if (filter.outcome !== undefined) where.push(`outcome = ${bind(filter.outcome)}`);
    if (filter.since !== undefined) where.push(`at >= ${bind(filter.since.toISOString())}::timestamptz`);
    if (filter.until !== undefined) where.push(`at < ${bind(filter.until.toISOString())}::timestamptz`);
    if (filter.after !== undefined) {
      const at = `(timestamptz 'epoch' + ${bind(filter.after.atMicros)}::bigint * interval '1 microsecond')`;
      where.push(`(at, id) < (${at}, ${bind(filter.after.id)}::bigint)`);
    }
    // ORDER BY names the table's columns: a bare `id` would be the text alias of the select list, sorting '6' after '33'.
    const result = await this.database.query(
      `SELECT id::text AS id, at, (extract(epoch FROM at) * 1000000)::bigint::text AS at_micros, request_id, actor, actor_name,
          server_id, tool, action, outcome, duration_ms, version_before, version_after, arguments_digest, arguments, details
        FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY audit_log.at DESC, audit_log.id DESC LIMIT ${bind(filter.limit + 1)}::int`,
      params,
    );
    const more = result.rows.length > filter.limit;
    const rows = more ? result.rows.slice(0, filter.limit) : result.rows;
    const last = rows[rows.length - 1];
    return {
      entries: rows.map(storedEntry),
      next: more && last ? { atMicros: String(last.at_micros), id: String(last.id) } : undefined,
    };
  }
}
