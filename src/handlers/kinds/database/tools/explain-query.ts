import * as v from 'valibot';
import { classifyStatement, loadParser, StatementRejected } from '../classify.ts';
import { errorResult, inTransaction, type PackToolSpec, RollbackWith } from '../context.ts';
import { isUserMode, USER_SCHEMA } from '../modes.ts';
import { explainRefusal } from '../policy.ts';
import { sqlText } from './execute-sql.ts';

/**
 * explain_query: EXPLAIN (FORMAT JSON) of one statement. ANALYZE runs the
 * statement, so it is accepted only where the mode may run it (execute_sql's
 * rules), and the transaction is always rolled back afterwards: explaining
 * never changes data.
 */

const Input = v.strictObject({
  sql: v.pipe(sqlText, v.description('The statement to explain (one SELECT, INSERT, UPDATE, DELETE or MERGE), without EXPLAIN.')),
  analyze: v.optional(
    v.pipe(
      v.boolean('must be true or false'),
      v.description('Run the statement to get actual times and row counts (EXPLAIN ANALYZE, BUFFERS); rolled back after.'),
    ),
    false,
  ),
});

interface PlanNode {
  'Total Cost'?: number;
  'Plan Rows'?: number;
  'Actual Total Time'?: number;
  'Actual Rows'?: number;
  'Node Type'?: string;
}

export const explainQuery: PackToolSpec<typeof Input> = {
  name: 'explain_query',
  title: 'Explain a query',
  description: (mode) =>
    'Shows how PostgreSQL would execute a statement: EXPLAIN (FORMAT JSON), the plan tree with estimated costs and rows. ' +
    'With analyze: true the statement really runs (EXPLAIN ANALYZE: actual times, rows and buffers) — only statements this mode may run are accepted, ' +
    `and everything it changed is rolled back afterwards.${isUserMode(mode) ? ` Only objects in the "${USER_SCHEMA}" schema may be named.` : ''} ` +
    'Use it to find sequential scans on large tables, bad row estimates and expensive joins.',
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  async run(args, ctx) {
    await loadParser();
    let statement: ReturnType<typeof classifyStatement>;
    try {
      statement = classifyStatement(args.sql);
    } catch (error) {
      if (error instanceof StatementRejected) return errorResult(`Statement refused: ${error.message}`, { refused: true });
      throw error;
    }
    const refusal = explainRefusal(statement, ctx.config.mode, args.analyze);
    if (refusal) return errorResult(refusal, { refused: true, kind: statement.kind, mode: ctx.config.mode });
    const text = `EXPLAIN (FORMAT JSON${args.analyze ? ', ANALYZE, BUFFERS' : ''}) ${statement.text}`;
    // What is sent must still be exactly one EXPLAIN of that statement (a trailing comment cannot swallow or add anything).
    const check = classifyStatement(text);
    if (check.type !== 'ExplainStmt' || check.explain?.innerType !== statement.type) return errorResult('Statement refused: it cannot be explained as given');
    return inTransaction(ctx, async (session) => {
      const result = await session.query(text);
      const first = result.rows[0] ?? {};
      const raw = Object.values(first)[0];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan?: PlanNode; 'Planning Time'?: number; 'Execution Time'?: number }[];
      const top = plan?.[0]?.Plan ?? {};
      const value = {
        analyzed: args.analyze,
        summary: {
          nodeType: top['Node Type'],
          totalCost: top['Total Cost'],
          planRows: top['Plan Rows'],
          ...(args.analyze
            ? { actualRows: top['Actual Rows'], actualTotalTimeMs: top['Actual Total Time'], executionTimeMs: plan?.[0]?.['Execution Time'], rolledBack: true }
            : {}),
        },
        plan,
      };
      // ANALYZE ran the statement: undo whatever it did.
      if (args.analyze) throw new RollbackWith(value);
      return value;
    });
  },
};
