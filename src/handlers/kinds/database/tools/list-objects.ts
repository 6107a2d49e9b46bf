import * as v from 'valibot';
import { inTransaction, type PackToolSpec, schemaFor } from '../context.ts';
import { isUserMode, USER_SCHEMA } from '../modes.ts';

/** list_objects: the tables, views, materialized views, sequences, foreign tables and extensions of one schema. */

export const OBJECT_TYPES = ['table', 'view', 'materialized_view', 'sequence', 'foreign_table', 'extension'] as const;

const schemaName = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(63, 'must be at most 63 characters'));

const Input = v.strictObject({
  schema: v.optional(v.pipe(schemaName, v.description(`Schema name (default "${USER_SCHEMA}").`))),
  type: v.optional(
    v.pipe(v.picklist(OBJECT_TYPES, `must be one of ${OBJECT_TYPES.join(', ')}`), v.description('Only objects of this type (default: all types).')),
  ),
});

const RELATIONS = `
  SELECT c.relname AS name,
         CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view'
                        WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign_table' END AS type,
         CASE WHEN c.relkind IN ('r','p','m') AND c.reltuples >= 0 THEN round(c.reltuples)::float8 END AS estimated_rows,
         obj_description(c.oid, 'pg_class') AS comment
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind IN ('r','p','v','m','S','f')
   ORDER BY 2, 1 LIMIT 2000`;

const EXTENSIONS = `
  SELECT e.extname AS name, 'extension' AS type, e.extversion AS version, obj_description(e.oid, 'pg_extension') AS comment
    FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
   WHERE n.nspname = $1 ORDER BY 1`;

export const listObjects: PackToolSpec<typeof Input> = {
  name: 'list_objects',
  title: 'List database objects',
  description: (mode) =>
    `Lists the objects of a schema${isUserMode(mode) ? ` (only "${USER_SCHEMA}" is visible)` : ' (default "public"; see list_schemas)'}: ` +
    'tables (with estimated row counts), views, materialized views, sequences, foreign tables and extensions, each with its comment. ' +
    'Filter with type. Start here to learn what a database holds, then use get_object_details on a table.',
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  async run(args, ctx) {
    const schema = schemaFor(ctx, args.schema);
    return inTransaction(ctx, async (session) => {
      const objects: Record<string, unknown>[] = [];
      if (args.type !== 'extension') {
        const relations = await session.query(RELATIONS, [schema]);
        objects.push(...relations.rows.filter((row) => args.type === undefined || row.type === args.type));
      }
      if (args.type === undefined || args.type === 'extension') objects.push(...(await session.query(EXTENSIONS, [schema])).rows);
      const exists = await session.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
      const note = exists.rows.length ? undefined : `there is no schema "${schema}"`;
      return { schema, ...(args.type ? { type: args.type } : {}), count: objects.length, objects, ...(note ? { note } : {}) };
    });
  },
};
