import { classifyStatement, loadParser, StatementRejected } from '../database/classify.ts';
import { refusalReason } from '../database/policy.ts';

/**
 * The built-in `samples` source runs on Toolport's own database, whose
 * connecting user is its owner (on PGlite, a superuser): `SET LOCAL ROLE
 * toolport_samples_reader` holds for a fixed statement, but one statement
 * could take the role back itself (`set_config('role', …)`, then a query
 * given as a string to `query_to_xml`). So a statement on `samples` must
 * also pass the database pack's `user_ro` rules, decided from the real
 * PostgreSQL parse tree: one read, `public` objects only, none of the
 * functions that change settings or run SQL text. Checked on every call (the
 * parser is loaded once, ~20 ms; a parse is ~0.04 ms), because a row can
 * reach the registry by SQL without the write-time checks.
 */
export async function samplesRefusal(text: string): Promise<string | undefined> {
  await loadParser();
  try {
    const reason = refusalReason(classifyStatement(text), 'user_ro');
    return reason && `on the built-in samples source a statement may only read the sample tables: ${reason}`;
  } catch (error) {
    if (error instanceof StatementRejected) return `on the built-in samples source: ${error.message}`;
    throw error;
  }
}
