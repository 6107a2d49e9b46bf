/**
 * Result columns carry their Postgres type NAME (`int4`, `timestamptz`),
 * while both drivers report only the type's oid. The built-in types have
 * fixed oids (pg_type.dat), so the common ones are a static table; others
 * (domains, enums, extension types) are looked up in `pg_type` once per
 * source and cached — their oids differ between databases.
 */
export const BUILT_IN_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'bool'],
  [17, 'bytea'],
  [18, 'char'],
  [19, 'name'],
  [20, 'int8'],
  [21, 'int2'],
  [23, 'int4'],
  [24, 'regproc'],
  [25, 'text'],
  [26, 'oid'],
  [114, 'json'],
  [142, 'xml'],
  [194, 'pg_node_tree'],
  [650, 'cidr'],
  [700, 'float4'],
  [701, 'float8'],
  [790, 'money'],
  [829, 'macaddr'],
  [869, 'inet'],
  [1000, '_bool'],
  [1005, '_int2'],
  [1007, '_int4'],
  [1009, '_text'],
  [1016, '_int8'],
  [1021, '_float4'],
  [1022, '_float8'],
  [1028, '_oid'],
  [1042, 'bpchar'],
  [1043, 'varchar'],
  [1082, 'date'],
  [1083, 'time'],
  [1114, 'timestamp'],
  [1184, 'timestamptz'],
  [1186, 'interval'],
  [1231, '_numeric'],
  [1266, 'timetz'],
  [1560, 'bit'],
  [1562, 'varbit'],
  [1700, 'numeric'],
  [2205, 'regclass'],
  [2206, 'regtype'],
  [2249, 'record'],
  [2278, 'void'],
  [2950, 'uuid'],
  [2951, '_uuid'],
  [3220, 'pg_lsn'],
  [3614, 'tsvector'],
  [3615, 'tsquery'],
  [3802, 'jsonb'],
  [3807, '_jsonb'],
  [4089, 'regnamespace'],
  [4096, 'regrole'],
  [199, '_json'],
  [1015, '_varchar'],
  [1115, '_timestamp'],
  [1182, '_date'],
  [1185, '_timestamptz'],
]);

/** Runs `select oid::int4, typname from pg_type where oid = any($1)` on the caller's connection. */
export type TypeLookup = (oids: number[]) => Promise<{ oid: number; typname: string }[]>;

/** Type names of one source: the static table, then the source's own cache, then one pg_type query for what is still unknown. */
export class TypeNames {
  private readonly cache = new Map<number, string>();

  /** The names of `oids`, looking up in one query the ones neither table knows. */
  async names(oids: readonly number[], lookup: TypeLookup): Promise<string[]> {
    const unknown = [...new Set(oids.filter((oid) => !BUILT_IN_TYPE_NAMES.has(oid) && !this.cache.has(oid)))];
    if (unknown.length) {
      // A bounded cache: a database whose types churn (temporary tables' row types) cannot grow it without end.
      if (this.cache.size > 10_000) this.cache.clear();
      for (const row of await lookup(unknown)) this.cache.set(Number(row.oid), row.typname);
    }
    return oids.map((oid) => BUILT_IN_TYPE_NAMES.get(oid) ?? this.cache.get(oid) ?? `oid:${oid}`);
  }
}

export const TYPE_LOOKUP_SQL = 'select oid::int4 as oid, typname from pg_catalog.pg_type where oid = any($1::oid[])';
