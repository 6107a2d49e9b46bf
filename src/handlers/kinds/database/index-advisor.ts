import { type SqlSession, SqlStatementError } from '../../../providers/data-sources/types.ts';
import { type ClassifiedStatement, classifyStatement, loadParser, StatementRejected } from './classify.ts';
import { type PackContext, transact } from './context.ts';
import { type Candidate, candidatesOf, indexDefinition, keyOf, type TableRef, tablesOf } from './index-candidates.ts';
import type { DatabaseMode } from './modes.ts';
import { explainRefusal } from './policy.ts';

/**
 * Judges candidate indexes with hypopg's hypothetical indexes: the planner's
 * estimated cost of each query before and with each candidate (which exist
 * only in this backend's memory, so nothing is written and READ ONLY holds),
 * the index's estimated size, whether the new plan uses it. Queries with
 * $1-style parameters (pg_stat_statements' normalized text) are planned as
 * generic plans of a prepared statement. hypopg_reset() before and after.
 */

/** Smallest cost improvement worth an index (10%). */
export const MIN_IMPROVEMENT = 0.1;

export interface QueryAnalysis {
  query: string;
  /** Calls, from pg_stat_statements (workload analysis). */
  calls?: number;
  costBefore?: number;
  candidates: { definition: string; costAfter: number; improvementPercent: number; usedByPlan: boolean; sizeBytes: number }[];
  /** Why the query was not analysed (not a SELECT/UPDATE/DELETE, planning failed …). */
  skipped?: string;
}

export interface Recommendation {
  definition: string;
  table: string;
  columns: string[];
  sizeBytes: number;
  /** Over the queries it helps: best improvement of one query. */
  improvementPercent: number;
  /** Sum over the queries it helps of (cost before − cost after) × calls (1 call each for given queries). */
  estimatedBenefit: number;
  queries: number[];
}

const STATEMENTS = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt', 'InsertStmt']);

function maxParam(statement: ClassifiedStatement): number {
  let max = 0;
  const stack: unknown[] = [statement.tree];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (typeof value === 'object' && value !== null) {
      const node = value as Record<string, unknown>;
      const param = node.ParamRef as { number?: number } | undefined;
      if (param && typeof param.number === 'number') max = Math.max(max, param.number);
      for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return max;
}

interface Planned {
  cost: number;
  plan: string;
}

/** The plan's total cost; a parameterized query as the generic plan of a prepared statement (PostgreSQL < 16 has no EXPLAIN GENERIC_PLAN). */
async function plan(session: SqlSession, text: string, params: number): Promise<Planned> {
  let rows: Record<string, unknown>[];
  if (params === 0) rows = (await session.query(`EXPLAIN (FORMAT JSON) ${text}`)).rows;
  else {
    // A generic plan: NULL arguments would otherwise be folded into a custom plan ("One-Time Filter: false", cost 0).
    await session.query('SET LOCAL plan_cache_mode = force_generic_plan');
    await session.query(`PREPARE toolport_index_probe AS ${text}`);
    try {
      rows = (await session.query(`EXPLAIN (FORMAT JSON) EXECUTE toolport_index_probe(${Array(params).fill('NULL').join(', ')})`)).rows;
    } finally {
      await session.query('DEALLOCATE toolport_index_probe');
    }
  }
  const raw = Object.values(rows[0] ?? {})[0];
  const parsed = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: { 'Total Cost': number } }[];
  return { cost: parsed[0]!.Plan['Total Cost'], plan: JSON.stringify(parsed) };
}

interface ResolvedTable {
  /** The schema the name resolves to (search_path applied). */
  schema: string;
  columns: string[];
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
const qualifiedName = (table: TableRef) => (table.schema === undefined ? quoted(table.name) : `${quoted(table.schema)}.${quoted(table.name)}`);

async function resolveTables(session: SqlSession, tables: TableRef[]): Promise<Map<string, ResolvedTable>> {
  const resolved = new Map<string, ResolvedTable>();
  for (const table of tables) {
    const { rows } = await session.query(
      `SELECT n.nspname AS schema, array_agg(a.attname ORDER BY a.attnum)::text[] AS columns
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p', 'm') GROUP BY n.nspname`,
      [qualifiedName(table)],
    );
    const row = rows[0];
    if (row) resolved.set(keyOf(table), { schema: String(row.schema), columns: (row.columns as string[]) ?? [] });
  }
  return resolved;
}

/** Column lists of the table's existing valid indexes (a candidate that is a prefix of one is not new). */
async function existingIndexes(session: SqlSession, table: TableRef): Promise<string[][]> {
  const name = qualifiedName(table);
  const { rows } = await session.query(
    `SELECT array_agg(a.attname ORDER BY k.ord)::text[] AS columns
       FROM pg_catalog.pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisvalid GROUP BY i.indexrelid`,
    [name],
  );
  return rows.map((row) => (row.columns as string[]) ?? []);
}

const covered = (candidate: Candidate, existing: string[][]) =>
  existing.some((columns) => candidate.columns.every((column, index) => columns[index] === column));

/**
 * One query: its cost now and with each candidate. Run it in a transaction
 * of its own (analyzeInOwnTransaction): a query that cannot be planned ends
 * that transaction only.
 */
export async function analyzeQuery(session: SqlSession, query: string, mode: DatabaseMode, calls?: number): Promise<QueryAnalysis> {
  await loadParser();
  const base: QueryAnalysis = { query, ...(calls !== undefined ? { calls } : {}), candidates: [] };
  let statement: ClassifiedStatement;
  try {
    statement = classifyStatement(query);
  } catch (error) {
    if (error instanceof StatementRejected) return { ...base, skipped: error.message };
    throw error;
  }
  if (!STATEMENTS.has(statement.type) || statement.flags.selectInto)
    return { ...base, skipped: 'only SELECT, UPDATE, DELETE and INSERT … SELECT are analysed' };
  // Only planned, never run; still, what explain_query would refuse in this mode is not planned here either.
  const refused = explainRefusal(statement, mode, false);
  if (refused) return { ...base, skipped: refused };
  const params = maxParam(statement);
  // A PREPARE outlives a failed transaction on its connection: drop one an earlier call left behind.
  if ((await session.query("SELECT 1 FROM pg_catalog.pg_prepared_statements WHERE name = 'toolport_index_probe'")).rows.length) {
    await session.query('DEALLOCATE toolport_index_probe');
  }
  const tables = await resolveTables(session, tablesOf(statement.tree));
  // Candidates name their table as resolved (schema-qualified), so the definitions can be run as they are.
  const candidates = candidatesOf(statement.tree, (table) => tables.get(keyOf(table))?.columns).flatMap((candidate) => {
    const table = tables.get(keyOf(candidate.table));
    return table ? [{ ...candidate, table: { schema: table.schema, name: candidate.table.name } }] : [];
  });
  const before = await plan(session, statement.text, params);
  base.costBefore = before.cost;
  for (const candidate of candidates) {
    if (covered(candidate, await existingIndexes(session, candidate.table))) continue;
    const definition = indexDefinition(candidate);
    const created = (await session.query('SELECT indexrelid::text AS id, indexname FROM hypopg_create_index($1)', [definition])).rows[0]!;
    const after = await plan(session, statement.text, params);
    const size = (await session.query('SELECT hypopg_relation_size($1::oid)::float8 AS size', [String(created.id)])).rows[0]?.size;
    await session.query('SELECT hypopg_drop_index($1::oid)', [String(created.id)]);
    const improvement = before.cost > 0 ? (before.cost - after.cost) / before.cost : 0;
    base.candidates.push({
      definition,
      costAfter: after.cost,
      improvementPercent: Math.round(improvement * 1000) / 10,
      usedByPlan: after.plan.includes(String(created.indexname)),
      sizeBytes: Number(size ?? 0),
    });
  }
  base.candidates.sort((a, b) => a.costAfter - b.costAfter);
  return base;
}

/** Recommendations over analysed queries: candidates the plan uses that improve a query by MIN_IMPROVEMENT, ranked by benefit. */
export function recommend(analyses: QueryAnalysis[]): Recommendation[] {
  const byDefinition = new Map<string, Recommendation>();
  analyses.forEach((analysis, index) => {
    for (const candidate of analysis.candidates) {
      if (!candidate.usedByPlan || candidate.improvementPercent < MIN_IMPROVEMENT * 100) continue;
      const gain = ((analysis.costBefore ?? 0) - candidate.costAfter) * (analysis.calls ?? 1);
      const match = /^CREATE INDEX ON (.+) \((.+)\)$/.exec(candidate.definition);
      const entry = byDefinition.get(candidate.definition) ?? {
        definition: candidate.definition,
        table: (match?.[1] ?? '').replace(/"/g, ''),
        columns: (match?.[2] ?? '').split(', ').map((column) => column.replace(/^"|"$/g, '').replace(/""/g, '"')),
        sizeBytes: candidate.sizeBytes,
        improvementPercent: 0,
        estimatedBenefit: 0,
        queries: [],
      };
      entry.improvementPercent = Math.max(entry.improvementPercent, candidate.improvementPercent);
      entry.estimatedBenefit = Math.round((entry.estimatedBenefit + gain) * 100) / 100;
      entry.queries.push(index);
      byDefinition.set(candidate.definition, entry);
    }
  });
  // Best first; of two that help the same queries about as much, the smaller index.
  return [...byDefinition.values()].sort((a, b) => b.estimatedBenefit - a.estimatedBenefit || a.sizeBytes - b.sizeBytes);
}

/** hypopg_reset() before and after: hypothetical indexes live in the backend, beyond the transaction. */
async function withCleanHypopg<T>(session: SqlSession, work: () => Promise<T>): Promise<T> {
  await session.query('SELECT hypopg_reset()');
  const result = await work();
  await session.query('SELECT hypopg_reset()');
  return result;
}

/** analyzeQuery in a transaction of its own; a query the database cannot plan is reported as skipped. */
export async function analyzeInOwnTransaction(ctx: PackContext, query: string, calls?: number): Promise<QueryAnalysis> {
  try {
    return await transact(ctx, (session) => withCleanHypopg(session, () => analyzeQuery(session, query, ctx.config.mode, calls)));
  } catch (error) {
    if (error instanceof SqlStatementError)
      return { query, ...(calls !== undefined ? { calls } : {}), candidates: [], skipped: `could not be planned: ${error.message}` };
    throw error;
  }
}
