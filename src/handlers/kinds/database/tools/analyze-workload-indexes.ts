import * as v from 'valibot';
import { inTransaction, noteResult, type PackToolSpec } from '../context.ts';
import { hypopg, pgStatStatements } from '../extensions.ts';
import { analyzeInOwnTransaction, MIN_IMPROVEMENT, recommend } from '../index-advisor.ts';
import { topQueriesSql } from './get-top-queries.ts';

/** analyze_workload_indexes (admin modes): analyze_query_indexes over the top queries of pg_stat_statements, weighted by calls. */

const Input = v.strictObject({
  limit: v.optional(
    v.pipe(
      v.number('must be a number'),
      v.integer('must be an integer'),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(50, 'must be at most 50'),
      v.description('How many top queries (by total time) to analyse (default 20).'),
    ),
    20,
  ),
});

export const analyzeWorkloadIndexes: PackToolSpec<typeof Input> = {
  name: 'analyze_workload_indexes',
  title: 'Recommend indexes for the workload',
  description: () =>
    "Recommends indexes for the database's real workload: takes the top queries by total execution time from pg_stat_statements, reads candidate " +
    'indexes from each (WHERE columns, join keys, ORDER BY) and judges them with hypothetical indexes (hypopg): estimated cost before and after, ' +
    `plan use, size. Recommendations are ranked by benefit weighted by each query's calls (at least ${MIN_IMPROVEMENT * 100}% better for a query). ` +
    'Nothing is created. If pg_stat_statements or hypopg is missing, says how to enable it.',
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  async run(args, ctx) {
    const top = await inTransaction(ctx, async (session) => {
      const statements = await pgStatStatements(session);
      if (!statements.ready) return noteResult(statements.message!, { available: false, extension: 'pg_stat_statements', howToEnable: statements.howToEnable });
      const hypo = await hypopg(session);
      if (!hypo.ready) return noteResult(hypo.message!, { available: false, extension: 'hypopg', howToEnable: hypo.howToEnable });
      return { rows: (await session.query(topQueriesSql('total_exec_time'), [args.limit])).rows };
    });
    if (!Array.isArray((top as { rows?: unknown }).rows)) return top;
    const queries = [];
    for (const row of (top as { rows: Record<string, unknown>[] }).rows) queries.push(await analyzeInOwnTransaction(ctx, String(row.query), Number(row.calls)));
    return { available: true, analysed: queries.filter((query) => !query.skipped).length, recommendations: recommend(queries), queries };
  },
};
