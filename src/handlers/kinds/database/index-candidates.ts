/**
 * Candidate indexes for one statement, read from its parse tree: per table,
 * the columns compared with a value (=, IN: equality; <, >, BETWEEN: range),
 * the join keys and the ORDER BY columns — each alone, and one composite of
 * the equality columns followed by one range or sort column (the order a
 * btree serves best). hypopg then judges which ones the planner would use.
 */

type Node = Record<string, unknown>;
const isObject = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface TableRef {
  schema: string | undefined;
  name: string;
}

/** A column use found in the tree, with the alias or table it was written with (undefined: unqualified). */
interface ColumnUse {
  qualifier: string | undefined;
  column: string;
  role: 'eq' | 'range' | 'join' | 'sort';
}

interface Scope {
  /** alias (or table name) → table. */
  tables: Map<string, TableRef>;
  uses: ColumnUse[];
}

export interface Candidate {
  table: TableRef;
  columns: string[];
}

const EQ_OPS = new Set(['=']);
const RANGE_OPS = new Set(['<', '>', '<=', '>=']);

function names(list: unknown): string[] {
  return Array.isArray(list) ? list.map((item) => (isObject(item) && isObject(item.String) ? String(item.String.sval) : '*')) : [];
}

function columnOf(node: unknown): { qualifier: string | undefined; column: string } | undefined {
  if (!isObject(node) || !isObject(node.ColumnRef)) return undefined;
  const fields = names(node.ColumnRef.fields);
  if (!fields.length || fields.includes('*')) return undefined;
  return { qualifier: fields.length >= 2 ? fields[fields.length - 2] : undefined, column: fields[fields.length - 1]! };
}

function addFromItem(item: unknown, scope: Scope, ctes: Set<string>): void {
  if (!isObject(item)) return;
  const rangeVar = isObject(item.RangeVar) ? item.RangeVar : typeof item.relname === 'string' ? item : undefined;
  if (rangeVar) {
    const name = String(rangeVar.relname);
    const schema = typeof rangeVar.schemaname === 'string' ? rangeVar.schemaname : undefined;
    if (schema === undefined && ctes.has(name)) return;
    const alias = isObject(rangeVar.alias) ? String(rangeVar.alias.aliasname) : name;
    scope.tables.set(alias, { schema, name });
    return;
  }
  if (isObject(item.JoinExpr)) {
    addFromItem(item.JoinExpr.larg, scope, ctes);
    addFromItem(item.JoinExpr.rarg, scope, ctes);
    collectPredicates(item.JoinExpr.quals, scope);
  }
}

/** Comparisons in a WHERE/ON tree; subqueries (SubLink) are their own scopes. */
function collectPredicates(node: unknown, scope: Scope): void {
  if (Array.isArray(node)) {
    for (const item of node) collectPredicates(item, scope);
    return;
  }
  if (!isObject(node)) return;
  if (isObject(node.SubLink)) return;
  if (isObject(node.A_Expr)) {
    const expr = node.A_Expr;
    const op = names(expr.name)[0] ?? '';
    const left = columnOf(expr.lexpr);
    const right = columnOf(expr.rexpr);
    const kind = String(expr.kind);
    if (kind === 'AEXPR_OP' && (EQ_OPS.has(op) || RANGE_OPS.has(op))) {
      if (left && right) {
        scope.uses.push({ ...left, role: 'join' }, { ...right, role: 'join' });
      } else {
        const column = left ?? right;
        if (column) scope.uses.push({ ...column, role: EQ_OPS.has(op) ? 'eq' : 'range' });
      }
    } else if (kind === 'AEXPR_IN' && left) {
      scope.uses.push({ ...left, role: 'eq' });
    } else if ((kind === 'AEXPR_BETWEEN' || kind === 'AEXPR_BETWEEN_SYM') && left) {
      scope.uses.push({ ...left, role: 'range' });
    }
  }
  for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) collectPredicates(child, scope);
}

function cteNames(tree: unknown): Set<string> {
  const found = new Set<string>();
  const stack: unknown[] = [tree];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (isObject(value)) {
      if (isObject(value.CommonTableExpr)) found.add(String(value.CommonTableExpr.ctename));
      for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return found;
}

/** Every SELECT/UPDATE/DELETE of the tree as a scope of tables and column uses. */
function scopesOf(tree: unknown): Scope[] {
  const ctes = cteNames(tree);
  const scopes: Scope[] = [];
  const stack: unknown[] = [tree];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...value);
      continue;
    }
    if (!isObject(value)) continue;
    const select = isObject(value.SelectStmt) ? value.SelectStmt : undefined;
    const update = isObject(value.UpdateStmt) ? value.UpdateStmt : undefined;
    const remove = isObject(value.DeleteStmt) ? value.DeleteStmt : undefined;
    const body = select ?? update ?? remove;
    if (body) {
      const scope: Scope = { tables: new Map(), uses: [] };
      if (body.relation) addFromItem(body.relation, scope, ctes);
      for (const item of [...((body.fromClause as unknown[]) ?? []), ...((body.usingClause as unknown[]) ?? [])]) addFromItem(item, scope, ctes);
      collectPredicates(body.whereClause, scope);
      for (const sort of (body.sortClause as unknown[]) ?? []) {
        const column = isObject(sort) && isObject(sort.SortBy) ? columnOf(sort.SortBy.node) : undefined;
        if (column) scope.uses.push({ ...column, role: 'sort' });
      }
      if (scope.tables.size) scopes.push(scope);
    }
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return scopes;
}

/** The tables a statement reads or writes (for fetching their columns). */
export function tablesOf(tree: unknown): TableRef[] {
  const seen = new Map<string, TableRef>();
  for (const scope of scopesOf(tree)) for (const table of scope.tables.values()) seen.set(keyOf(table), table);
  return [...seen.values()];
}

export const keyOf = (table: TableRef) => `${table.schema ?? ''}.${table.name}`;

/**
 * The candidates of a statement. `columnsOf` gives a table's column names (to
 * place unqualified columns; a name two tables share is left out).
 */
export function candidatesOf(tree: unknown, columnsOf: (table: TableRef) => readonly string[] | undefined, maxColumns = 3): Candidate[] {
  const found = new Map<string, Candidate>();
  const add = (table: TableRef, columns: string[]) => {
    const unique = [...new Set(columns)].slice(0, maxColumns);
    if (!unique.length) return;
    const key = `${keyOf(table)}(${unique.join(',')})`;
    if (!found.has(key)) found.set(key, { table, columns: unique });
  };
  for (const scope of scopesOf(tree)) {
    const byTable = new Map<string, { table: TableRef; eq: string[]; range: string[]; join: string[]; sort: string[] }>();
    for (const use of scope.uses) {
      let table: TableRef | undefined;
      if (use.qualifier !== undefined) table = scope.tables.get(use.qualifier);
      else {
        const owners = [...scope.tables.values()].filter((candidate) => columnsOf(candidate)?.includes(use.column));
        table = owners.length === 1 ? owners[0] : scope.tables.size === 1 ? [...scope.tables.values()][0] : undefined;
      }
      if (!table) continue;
      const known = columnsOf(table);
      if (known && !known.includes(use.column)) continue;
      const entry = byTable.get(keyOf(table)) ?? { table, eq: [], range: [], join: [], sort: [] };
      entry[use.role].push(use.column);
      byTable.set(keyOf(table), entry);
    }
    for (const { table, eq, range, join, sort } of byTable.values()) {
      for (const column of [...eq, ...range, ...join, ...sort]) add(table, [column]);
      const tail = range[0] ?? sort[0];
      if (eq.length > 1 || (eq.length && tail)) add(table, [...new Set(eq)].concat(tail && !eq.includes(tail) ? [tail] : []));
      if (join.length && (eq.length || range.length)) add(table, [...new Set([...eq, ...join])]);
    }
  }
  return [...found.values()];
}

/** "name" quoted as an SQL identifier. */
export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export function indexDefinition(candidate: Candidate): string {
  const table =
    candidate.table.schema === undefined ? quoteIdent(candidate.table.name) : `${quoteIdent(candidate.table.schema)}.${quoteIdent(candidate.table.name)}`;
  return `CREATE INDEX ON ${table} (${candidate.columns.map(quoteIdent).join(', ')})`;
}
