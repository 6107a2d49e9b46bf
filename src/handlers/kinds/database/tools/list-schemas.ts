import * as v from 'valibot';
import { inTransaction, type PackToolSpec } from '../context.ts';

/** list_schemas (admin modes): every schema with its owner, whether it is a system schema, and how many objects it holds. */

const Input = v.strictObject({
  includeSystem: v.optional(v.pipe(v.boolean('must be true or false'), v.description('Also list pg_catalog, information_schema and pg_toast.')), false),
});

const SCHEMAS = `
  SELECT n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
         (n.nspname IN ('pg_catalog','information_schema') OR n.nspname LIKE 'pg\\_toast%' OR n.nspname LIKE 'pg\\_temp%') AS system,
         (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m','S','f'))::int AS objects,
         obj_description(n.oid, 'pg_namespace') AS comment
    FROM pg_catalog.pg_namespace n
   WHERE $1 OR NOT (n.nspname IN ('pg_catalog','information_schema') OR n.nspname LIKE 'pg\\_toast%' OR n.nspname LIKE 'pg\\_temp%')
   ORDER BY 3, 1`;

export const listSchemas: PackToolSpec<typeof Input> = {
  name: 'list_schemas',
  title: 'List schemas',
  description: () =>
    'Lists the schemas of the database with owner, object count and comment (system schemas only with includeSystem). ' +
    'Then list_objects with a schema shows what one holds.',
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  run: (args, ctx) =>
    inTransaction(ctx, async (session) => {
      const schemas = (await session.query(SCHEMAS, [args.includeSystem])).rows;
      return { count: schemas.length, schemas };
    }),
};
