import * as v from 'valibot';
import { inTransaction, noteResult, type PackToolSpec } from '../context.ts';
import { hypopg } from '../extensions.ts';
import { analyzeInOwnTransaction, MIN_IMPROVEMENT, recommend } from '../index-advisor.ts';
import { sqlText } from './execute-sql.ts';

/** analyze_query_indexes (admin modes): candidate indexes for the given queries, judged with hypopg, ranked. */

const Input = v.strictObject({
  queries: v.pipe(
    v.array(sqlText, 'must be an array of SQL statements'),
    v.minLength(1, 'must have at least one query'),
    v.maxLength(10, 'must have at most 10 queries'),
    v.description('1–10 statements (SELECT, UPDATE, DELETE); $1-style parameters are allowed.'),
  ),
});

export const analyzeQueryIndexes: PackToolSpec<typeof Input> = {
  name: 'analyze_query_indexes',
  title: 'Recommend indexes for queries',
  description: () =>
    'Recommends indexes for up to 10 queries: candidates are read from each query (columns compared in WHERE, join keys, ORDER BY) and judged ' +
    "with hypothetical indexes (hypopg) — the planner's estimated cost before and after, whether the plan would use the index, and its estimated size. " +
    `Returns the recommendations ranked by benefit (only those improving a query by at least ${MIN_IMPROVEMENT * 100}%) and the analysis of each query. ` +
    'Nothing is created. If hypopg is not installed, says how to install it.',
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  async run(args, ctx) {
    const missing = await inTransaction(ctx, async (session) => {
      const status = await hypopg(session);
      return status.ready ? {} : noteResult(status.message!, { available: false, extension: 'hypopg', howToEnable: status.howToEnable });
    });
    if (Object.keys(missing).length) return missing;
    const queries = [];
    for (const query of args.queries) queries.push(await analyzeInOwnTransaction(ctx, query));
    return { available: true, recommendations: recommend(queries), queries };
  },
};
