import * as v from 'valibot';
import { type PackToolSpec, transact } from '../context.ts';
import { HEALTH_CHECK_NAMES, runHealthChecks } from '../health-checks.ts';

/** analyze_db_health (admin modes): the DBA's routine checks, each with a verdict (ok, warning, critical, unknown) and one sentence. */

const Input = v.strictObject({
  checks: v.optional(
    v.pipe(
      v.array(v.picklist(HEALTH_CHECK_NAMES, `must be one of ${HEALTH_CHECK_NAMES.join(', ')}`), 'must be an array of check names'),
      v.minLength(1, 'must not be empty'),
      v.description(`Checks to run (default all): ${HEALTH_CHECK_NAMES.join(', ')}.`),
    ),
  ),
});

export const analyzeDbHealth: PackToolSpec<typeof Input> = {
  name: 'analyze_db_health',
  title: 'Database health',
  description: () =>
    'Checks the health of the database and gives each check a verdict (ok, warning, critical) with a sentence and the objects concerned: ' +
    'invalid, duplicate, unused and bloated indexes; connection use; vacuum and transaction-id wraparound; sequences close to their maximum; ' +
    'buffer cache hit ratio; constraints left NOT VALID. The overall verdict is the worst one. Read only.',
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  run: (args, ctx) => runHealthChecks((work) => transact(ctx, work), args.checks ?? HEALTH_CHECK_NAMES),
};
