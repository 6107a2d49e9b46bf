import * as v from 'valibot';
import { classifyStatement, loadParser, StatementRejected } from '../classify.ts';
import { errorResult, inTransaction, limitsOf, type PackToolSpec } from '../context.ts';
import { isUserMode, USER_SCHEMA } from '../modes.ts';
import { refusalReason } from '../policy.ts';

/**
 * execute_sql: one statement, classified from the parse tree and checked
 * against the mode before it is sent; then run in the mode's transaction
 * (READ ONLY for *_ro, so the database refuses what a function call might
 * still try). Rows are capped by the source's row limit and a byte limit.
 */

export const sqlText = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(100_000, 'must be at most 100000 characters'));

const Input = v.strictObject({
  sql: v.pipe(sqlText, v.description('Exactly one SQL statement (no ";"-separated lists).')),
});

export const executeSql: PackToolSpec<typeof Input> = {
  name: 'execute_sql',
  title: 'Execute SQL',
  description: (mode) => {
    const scope = isUserMode(mode) ? ` Only objects in the "${USER_SCHEMA}" schema may be named; unqualified names mean "${USER_SCHEMA}".` : '';
    const what =
      mode === 'user_ro' || mode === 'admin_ro'
        ? 'Read only: SELECT, VALUES, SHOW and EXPLAIN are accepted, in a READ ONLY transaction.'
        : mode === 'user_rw'
          ? 'Reads and INSERT/UPDATE/DELETE/MERGE are accepted (no DDL, no privilege changes); the call commits when it succeeds.'
          : 'Any single statement that runs inside a transaction (DDL, DML, DCL); the call commits when it succeeds.';
    return (
      `Runs exactly one SQL statement on the database and returns { rows, rowCount, truncated, columns }. ${what}${scope} ` +
      'Each call is its own transaction; BEGIN/COMMIT, session-level SET and COPY are refused. Rows past the row limit are not fetched (truncated: true): ' +
      'add WHERE/LIMIT. A refused or failing statement returns an error with the reason (and the SQLSTATE) so the query can be fixed.'
    );
  },
  input: Input,
  annotations: (mode) => ({ readOnlyHint: mode.endsWith('_ro'), destructiveHint: mode.endsWith('_rw') }),
  async run(args, ctx) {
    await loadParser();
    let statement: ReturnType<typeof classifyStatement>;
    try {
      statement = classifyStatement(args.sql);
    } catch (error) {
      if (error instanceof StatementRejected) return errorResult(`Statement refused: ${error.message}`, { refused: true, position: error.position });
      throw error;
    }
    const refusal = refusalReason(statement, ctx.config.mode);
    if (refusal) return errorResult(refusal, { refused: true, kind: statement.kind, mode: ctx.config.mode });
    return inTransaction(ctx, async (session) => {
      const result = await session.query(args.sql, [], limitsOf(ctx));
      return { rows: result.rows, rowCount: result.rowCount, truncated: result.truncated, columns: result.columns, command: result.command };
    });
  },
};
