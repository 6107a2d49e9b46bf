import * as v from 'valibot';
import { errorResult, inTransaction, type PackToolSpec, schemaFor } from '../context.ts';
import { isUserMode, USER_SCHEMA } from '../modes.ts';

/** get_object_details: the columns, constraints and indexes of a table, view or materialized view (a sequence's settings). */

const identifier = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(63, 'must be at most 63 characters'));

const Input = v.strictObject({
  schema: v.optional(v.pipe(identifier, v.description(`Schema name (default "${USER_SCHEMA}").`))),
  name: v.pipe(identifier, v.description('Object name as stored (case-sensitive, without quotes), e.g. "orders".')),
});

const OBJECT = `
  SELECT c.oid::int8 AS oid, c.relkind AS kind, obj_description(c.oid, 'pg_class') AS comment,
         CASE WHEN c.relkind IN ('v','m') THEN pg_catalog.pg_get_viewdef(c.oid, true) END AS definition,
         CASE WHEN c.reltuples >= 0 THEN round(c.reltuples)::float8 END AS estimated_rows, c.relrowsecurity AS row_level_security
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r','p','v','m','S','f')`;

const COLUMNS = `
  SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
         pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "default", col_description(a.attrelid, a.attnum) AS comment
    FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;

const CONSTRAINTS = `
  SELECT conname AS name,
         CASE contype WHEN 'p' THEN 'primary_key' WHEN 'f' THEN 'foreign_key' WHEN 'u' THEN 'unique' WHEN 'c' THEN 'check'
                      WHEN 'x' THEN 'exclusion' ELSE contype::text END AS type,
         pg_catalog.pg_get_constraintdef(oid, true) AS definition, convalidated AS validated
    FROM pg_catalog.pg_constraint WHERE conrelid = $1::oid ORDER BY contype, conname`;

const INDEXES = `
  SELECT ic.relname AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition, i.indisunique AS "unique",
         i.indisprimary AS primary, i.indisvalid AS valid, pg_catalog.pg_relation_size(i.indexrelid)::float8 AS size_bytes
    FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
   WHERE i.indrelid = $1::oid ORDER BY ic.relname`;

const KINDS: Record<string, string> = { r: 'table', p: 'table', v: 'view', m: 'materialized_view', S: 'sequence', f: 'foreign_table' };

export const getObjectDetails: PackToolSpec<typeof Input> = {
  name: 'get_object_details',
  title: 'Describe a database object',
  description: (mode) =>
    'Describes one table, view or materialized view: its columns (name, type, nullable, default, comment), constraints (primary key, foreign keys, ' +
    `unique, check — with whether they are validated) and indexes (definition, unique, valid, size); a view's definition too.${
      isUserMode(mode) ? ` Only objects in "${USER_SCHEMA}" are visible.` : ''
    } Use it before writing a query against a table.`,
  input: Input,
  annotations: () => ({ readOnlyHint: true, destructiveHint: false }),
  async run(args, ctx) {
    const schema = schemaFor(ctx, args.schema);
    return inTransaction(ctx, async (session) => {
      const found = (await session.query(OBJECT, [schema, args.name])).rows[0];
      if (!found) return errorResult(`No table, view or sequence "${args.name}" in schema "${schema}" (see list_objects)`, { notFound: true });
      const oid = String(found.oid);
      const kind = KINDS[String(found.kind)] ?? String(found.kind);
      const base = { schema, name: args.name, type: kind, comment: found.comment, ...(found.definition ? { definition: found.definition } : {}) };
      if (kind === 'sequence') {
        const sequence = await session.query('SELECT * FROM pg_catalog.pg_sequences WHERE schemaname = $1 AND sequencename = $2', [schema, args.name]);
        return { ...base, sequence: sequence.rows[0] ?? null };
      }
      const columns = (await session.query(COLUMNS, [oid])).rows;
      const constraints = (await session.query(CONSTRAINTS, [oid])).rows;
      const indexes = (await session.query(INDEXES, [oid])).rows;
      return { ...base, estimatedRows: found.estimated_rows, rowLevelSecurity: found.row_level_security, columns, constraints, indexes };
    });
  },
};
