/**
 * Every object a parse tree names, found by walking the real PostgreSQL parse
 * tree (libpg-query's JSON), not the text: relations (each RangeVar — in
 * FROM, JOIN, subqueries, CTEs, DML targets, SELECT INTO, COPY, DDL), called
 * functions (FuncCall, CALL) and type names (casts, column types). Comments,
 * quoting and odd spacing are gone by then: `"public"."t"`, `public . t` and
 * `/* x *\/ public.t` all arrive as { schema: 'public', name: 't' }.
 */

export interface ObjectRef {
  /** Schema as written (quoted identifiers keep their case); undefined when unqualified. */
  schema: string | undefined;
  name: string;
  /** A database-qualified name (db.schema.t). */
  catalog?: string | undefined;
  /** Byte offset in the statement text, when the parser gave one. */
  location?: number | undefined;
}

export interface SchemaRefs {
  relations: ObjectRef[];
  functions: ObjectRef[];
  types: ObjectRef[];
  /** Node types met anywhere in the tree (SelectStmt, DeleteStmt, CommonTableExpr …). */
  nodeTypes: Set<string>;
}

type Node = Record<string, unknown>;

const isObject = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** [{String:{sval:'pg_catalog'}},{String:{sval:'int4'}}] → ['pg_catalog','int4']. */
function nameList(list: unknown): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const names: string[] = [];
  for (const item of list) {
    const sval = isObject(item) && isObject(item.String) ? item.String.sval : undefined;
    if (typeof sval !== 'string') return undefined;
    names.push(sval);
  }
  return names.length ? names : undefined;
}

function refOf(names: string[], location: unknown): ObjectRef {
  const name = names[names.length - 1]!;
  const schema = names.length >= 2 ? names[names.length - 2] : undefined;
  const catalog = names.length >= 3 ? names[names.length - 3] : undefined;
  return { schema, name, catalog, location: typeof location === 'number' ? location : undefined };
}

/** Walks one statement's tree and collects what it names. */
export function schemaRefs(tree: unknown): SchemaRefs {
  const refs: SchemaRefs = { relations: [], functions: [], types: [], nodeTypes: new Set() };
  const stack: unknown[] = [tree];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
      continue;
    }
    if (!isObject(value)) continue;
    for (const key of Object.keys(value)) {
      // Wrapped nodes are { NodeType: {...} } with an upper-case key.
      if (/^[A-Z]/.test(key)) refs.nodeTypes.add(key);
    }
    // A RangeVar is the only raw-tree node with `relname` (it appears wrapped, and bare under relation/rel/…).
    if (typeof value.relname === 'string') {
      refs.relations.push({
        schema: typeof value.schemaname === 'string' ? value.schemaname : undefined,
        name: value.relname,
        catalog: typeof value.catalogname === 'string' ? value.catalogname : undefined,
        location: typeof value.location === 'number' ? value.location : undefined,
      });
    }
    // FuncCall (wrapped, or bare as CallStmt.funccall) and function DDL name their function with `funcname`.
    const funcname = nameList(value.funcname);
    if (funcname) refs.functions.push(refOf(funcname, value.location));
    // TypeName: `names` with a `typemod` (casts, column definitions, function signatures).
    const typeNames = 'typemod' in value ? nameList(value.names) : undefined;
    if (typeNames) refs.types.push(refOf(typeNames, value.location));
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return refs;
}
