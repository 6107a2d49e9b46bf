import * as v from 'valibot';
import { SqlStatementError } from '../../../../providers/data-sources/types.ts';
import { noteResult, type PackToolSpec, sqlErrorResult, transact } from '../context.ts';
import { NOT_PRELOADED_SQLSTATE, notPreloaded, pgStatStatements } from '../extensions.ts';

/** get_top_queries (admin modes): the statements that cost the most, from pg_stat_statements, by total and by mean execution time. */

const Input = v.strictObject({
  limit: v.optional(
    v.pipe(
      v.number('must be a number'),
      v.integer('must be an integer'),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(100, 'must be at most 100'),
      v.description('Queries per list (default 10).'),
    ),
    10,
  ),
  sortBy: v.optional(
    v.pipe(
      v.picklist(['total', 'mean', 'both'], 'must be total, mean or both'),
      v.description('total: execution time summed over calls; mean: per call; both (default).'),
    ),
    'both',
  ),
});

/** The statements of this database, without the tools' own catalog queries and utility statements. */
export function topQueriesSql(order: 'total_exec_time' | 'mean_exec_time'): string {
  return `
  SELECT s.queryid::text AS queryid, s.query, s.calls::float8 AS calls, round(s.total_exec_time::numeric, 3)::float8 AS total_exec_ms,
         round(s.mean_exec_time::numeric, 3)::float8 AS mean_exec_ms, s.rows::float8 AS rows,
         round((100 * s.shared_blks_hit::numeric / nullif(s.shared_blks_hit + s.shared_blks_read, 0)), 2)::float8 AS cache_hit_percent
    FROM pg_stat_statements s
   WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
     AND s.query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK|SET|SHOW|SAVEPOINT|RELEASE|EXPLAIN|DEALLOCATE|PREPARE|SELECT set_config)'
     AND s.query !~ 'pg_catalog\\.|pg_stat_statements|hypopg'
   ORDER BY s.${order} DESC LIMIT $1`;
}

export const getTopQueries: PackToolSpec<typeof Input> = {
  name: 'get_top_queries',
  title: 'Top queries',
  description: () =>
    'Lists the queries that cost the most time on this database, from pg_stat_statements: by total execution time (what loads the server most) ' +
    'and by mean time per call (what is slow each time), with calls, rows and cache hit ratio. Parameters appear as $1, $2. ' +
    'If pg_stat_statements is not enabled, says how to enable it. Follow up with analyze_query_indexes or analyze_workload_indexes.',
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  async run(args, ctx) {
    try {
      return await transact(ctx, async (session) => {
        const status = await pgStatStatements(session);
        if (!status.ready) return noteResult(status.message!, { available: false, extension: 'pg_stat_statements', howToEnable: status.howToEnable });
        const result: Record<string, unknown> = { available: true };
        if (args.sortBy !== 'mean') result.byTotalTime = (await session.query(topQueriesSql('total_exec_time'), [args.limit])).rows;
        if (args.sortBy !== 'total') result.byMeanTime = (await session.query(topQueriesSql('mean_exec_time'), [args.limit])).rows;
        return result;
      });
    } catch (error) {
      if (!(error instanceof SqlStatementError)) throw error;
      if (error.sqlstate !== NOT_PRELOADED_SQLSTATE) return sqlErrorResult(error);
      const status = notPreloaded();
      return noteResult(status.message!, { available: false, extension: 'pg_stat_statements', howToEnable: status.howToEnable });
    }
  },
};
