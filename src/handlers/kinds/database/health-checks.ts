import { type SqlSession, SqlStatementError } from '../../../providers/data-sources/types.ts';

/**
 * The checks of analyze_db_health: each one query on the statistics views
 * and catalogs, and a verdict with one sentence a model can repeat. The
 * thresholds are the usual DBA rules of thumb (noted at each check).
 */

export type Verdict = 'ok' | 'warning' | 'critical' | 'unknown';

export interface CheckResult {
  check: string;
  verdict: Verdict;
  message: string;
  details?: Record<string, unknown>[];
}

type Check = (session: SqlSession) => Promise<Omit<CheckResult, 'check'>>;

const n = (value: unknown) => Number(value ?? 0);
const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

const invalidIndexes: Check = async (session) => {
  const { rows } = await session.query(`
    SELECT n.nspname AS schema, c.relname AS index, t.relname AS table
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      JOIN pg_catalog.pg_class t ON t.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT i.indisvalid ORDER BY 1, 2`);
  return rows.length
    ? {
        verdict: 'warning',
        message: `${rows.length} invalid index(es) (a failed CREATE INDEX CONCURRENTLY): they cost writes and serve no query; REINDEX or drop them.`,
        details: rows,
      }
    : { verdict: 'ok', message: 'No invalid indexes.' };
};

const duplicateIndexes: Check = async (session) => {
  const { rows } = await session.query(`
    SELECT n.nspname AS schema, t.relname AS table, array_agg(c.relname ORDER BY c.relname) AS indexes,
           sum(pg_catalog.pg_relation_size(i.indexrelid))::float8 AS total_bytes
      FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      JOIN pg_catalog.pg_class t ON t.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
     GROUP BY n.nspname, t.relname, i.indrelid, i.indkey::text, i.indclass::text, coalesce(i.indexprs::text, ''), coalesce(i.indpred::text, '')
    HAVING count(*) > 1`);
  return rows.length
    ? {
        verdict: 'warning',
        message: `${rows.length} set(s) of duplicate indexes (same columns, operator classes, expressions and predicate): keep one of each.`,
        details: rows,
      }
    : { verdict: 'ok', message: 'No duplicate indexes.' };
};

const unusedIndexes: Check = async (session) => {
  // Never scanned since the statistics were reset, not backing a constraint, and over 1 MB.
  const { rows } = await session.query(`
    SELECT s.schemaname AS schema, s.relname AS table, s.indexrelname AS index, pg_catalog.pg_relation_size(s.indexrelid)::float8 AS size_bytes
      FROM pg_catalog.pg_stat_user_indexes s JOIN pg_catalog.pg_index i ON i.indexrelid = s.indexrelid
     WHERE s.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = s.indexrelid)
       AND pg_catalog.pg_relation_size(s.indexrelid) > 1048576
     ORDER BY 4 DESC LIMIT 50`);
  return rows.length
    ? {
        verdict: 'warning',
        message: `${rows.length} index(es) over 1 MB never used since statistics were last reset: candidates to drop (check replicas first).`,
        details: rows,
      }
    : { verdict: 'ok', message: 'No large unused indexes.' };
};

const indexBloat: Check = async (session) => {
  // Estimate of each btree index's size from its tuples and the columns' average widths (pg_stats), against its real size.
  const { rows } = await session.query(`
    WITH idx AS (
      SELECT n.nspname AS schema, c.relname AS index, t.relname AS table, c.reltuples, pg_catalog.pg_relation_size(c.oid) AS actual,
             (SELECT coalesce(sum(s.avg_width), 8) FROM pg_catalog.pg_attribute a
                JOIN pg_catalog.pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
               WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) AS width
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_am am ON am.oid = c.relam
       WHERE am.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
         AND c.reltuples > 0 AND pg_catalog.pg_relation_size(c.oid) > 10485760)
    SELECT schema, index, "table", actual::float8 AS size_bytes,
           greatest(0, actual - ceil(reltuples * (width + 16) / (current_setting('block_size')::int * 0.9)) * current_setting('block_size')::int)::float8 AS estimated_waste_bytes
      FROM idx ORDER BY 5 DESC LIMIT 20`);
  const bloated = rows.filter((row) => n(row.estimated_waste_bytes) > 0.5 * n(row.size_bytes) && n(row.estimated_waste_bytes) > 10485760);
  return bloated.length
    ? {
        verdict: 'warning',
        message: `${bloated.length} index(es) estimated over 50% bloated (and over 10 MB wasted): REINDEX CONCURRENTLY them.`,
        details: bloated,
      }
    : { verdict: 'ok', message: 'No btree index over 10 MB is estimated to be more than half bloat.' };
};

const connections: Check = async (session) => {
  const { rows } = await session.query(`
    SELECT count(*)::int AS total, current_setting('max_connections')::int AS max,
           count(*) FILTER (WHERE state = 'idle in transaction' AND now() - state_change > interval '5 minutes')::int AS idle_in_transaction_5min
      FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend'`);
  const row = rows[0] ?? {};
  const used = n(row.total) / Math.max(1, n(row.max));
  const idle = n(row.idle_in_transaction_5min);
  const verdict: Verdict = used > 0.9 ? 'critical' : used > 0.75 || idle > 0 ? 'warning' : 'ok';
  const idleText = idle ? `; ${idle} session(s) idle in a transaction for over 5 minutes (they hold locks and block vacuum)` : '';
  return { verdict, message: `${row.total} of ${row.max} connections in use (${pct(used)}; warning over 75%, critical over 90%)${idleText}.`, details: [row] };
};

const vacuum: Check = async (session) => {
  // Transaction-id age against the 2^31 wraparound limit: warning past 50%, critical past 75%.
  const { rows } = await session.query(`
    SELECT datname AS database, age(datfrozenxid)::float8 AS xid_age FROM pg_catalog.pg_database ORDER BY 2 DESC LIMIT 1`);
  const dead = await session.query(`
    SELECT schemaname AS schema, relname AS table, n_dead_tup::float8 AS dead_rows, n_live_tup::float8 AS live_rows,
           last_autovacuum, last_vacuum
      FROM pg_catalog.pg_stat_user_tables
     WHERE n_dead_tup > 10000 AND n_dead_tup > 0.2 * greatest(n_live_tup, 1) ORDER BY n_dead_tup DESC LIMIT 20`);
  const age = n(rows[0]?.xid_age);
  const used = age / 2 ** 31;
  const verdict: Verdict = used > 0.75 ? 'critical' : used > 0.5 || dead.rows.length ? 'warning' : 'ok';
  const deadText = dead.rows.length ? `; ${dead.rows.length} table(s) with over 20% dead rows (vacuum is behind)` : '';
  return {
    verdict,
    message: `Oldest transaction-id age ${age} (${rows[0]?.database}): ${pct(used)} of the way to wraparound (warning over 50%, critical over 75%)${deadText}.`,
    details: [...rows, ...dead.rows],
  };
};

const sequences: Check = async (session) => {
  const { rows } = await session.query(`
    SELECT schemaname AS schema, sequencename AS sequence, last_value::numeric::float8 AS last_value, max_value::numeric::float8 AS max_value,
           round(100 * last_value::numeric / max_value::numeric, 2)::float8 AS percent_used
      FROM pg_catalog.pg_sequences WHERE last_value IS NOT NULL AND increment_by > 0 AND NOT cycle
     ORDER BY last_value::numeric / max_value::numeric DESC LIMIT 20`);
  const high = rows.filter((row) => n(row.percent_used) > 75);
  const worst = n(high[0]?.percent_used);
  return high.length
    ? {
        verdict: worst > 90 ? 'critical' : 'warning',
        message: `${high.length} sequence(s) over 75% of their maximum (worst ${worst}%): widen them (bigint) before they run out.`,
        details: high,
      }
    : { verdict: 'ok', message: 'No sequence is over 75% of its maximum value.' };
};

const cacheHit: Check = async (session) => {
  const { rows } = await session.query(`
    SELECT sum(heap_blks_hit)::float8 AS heap_hit, sum(heap_blks_read)::float8 AS heap_read,
           sum(idx_blks_hit)::float8 AS index_hit, sum(idx_blks_read)::float8 AS index_read
      FROM pg_catalog.pg_statio_user_tables`);
  const row = rows[0] ?? {};
  const reads = n(row.heap_hit) + n(row.heap_read) + n(row.index_hit) + n(row.index_read);
  if (reads < 1000) return { verdict: 'ok', message: `Too little activity to judge the buffer cache (${reads} block reads).`, details: [row] };
  const heap = n(row.heap_hit) / Math.max(1, n(row.heap_hit) + n(row.heap_read));
  const index = n(row.index_hit) / Math.max(1, n(row.index_hit) + n(row.index_read));
  const worst = Math.min(heap, index);
  const verdict: Verdict = worst < 0.9 ? 'critical' : worst < 0.95 ? 'warning' : 'ok';
  return { verdict, message: `Buffer cache hit ratio: tables ${pct(heap)}, indexes ${pct(index)} (warning under 95%, critical under 90%).`, details: [row] };
};

const invalidConstraints: Check = async (session) => {
  const { rows } = await session.query(`
    SELECT n.nspname AS schema, c.relname AS table, k.conname AS constraint, pg_catalog.pg_get_constraintdef(k.oid, true) AS definition
      FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT k.convalidated ORDER BY 1, 2, 3`);
  return rows.length
    ? {
        verdict: 'warning',
        message: `${rows.length} constraint(s) NOT VALID: existing rows were never checked; ALTER TABLE … VALIDATE CONSTRAINT.`,
        details: rows,
      }
    : { verdict: 'ok', message: 'Every constraint is validated.' };
};

export const HEALTH_CHECKS: Record<string, Check> = {
  invalid_indexes: invalidIndexes,
  duplicate_indexes: duplicateIndexes,
  unused_indexes: unusedIndexes,
  index_bloat: indexBloat,
  connections,
  vacuum,
  sequences,
  buffer_cache: cacheHit,
  invalid_constraints: invalidConstraints,
};

export const HEALTH_CHECK_NAMES = Object.keys(HEALTH_CHECKS);

const RANK: Record<Verdict, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

/**
 * Runs the checks one after the other, each in a transaction of its own (`run`):
 * one that fails (a missing privilege, a view this server lacks) is `unknown`,
 * the others still run.
 */
export async function runHealthChecks(
  run: <T>(work: (session: SqlSession) => Promise<T>) => Promise<T>,
  names: readonly string[],
): Promise<{ verdict: Verdict; checks: CheckResult[] }> {
  const checks: CheckResult[] = [];
  for (const name of names) {
    try {
      checks.push({ check: name, ...(await run(HEALTH_CHECKS[name]!)) });
    } catch (error) {
      if (!(error instanceof SqlStatementError)) throw error;
      checks.push({ check: name, verdict: 'unknown', message: `The check could not run: ${error.message} (SQLSTATE ${error.sqlstate})` });
    }
  }
  const verdict = checks.reduce<Verdict>((worst, check) => (RANK[check.verdict] > RANK[worst] ? check.verdict : worst), 'ok');
  return { verdict, checks };
}
