import type { parseSync } from 'libpg-query';
import { type SchemaRefs, schemaRefs } from './schema-refs.ts';

/**
 * What one SQL statement is, decided from the real PostgreSQL parser's tree
 * (libpg-query, the parser of Postgres itself compiled to WASM), never from
 * the text: a comment, a quoted identifier or a `;` inside a string cannot
 * make a DELETE look like a SELECT. policy.ts decides per mode what may run.
 *
 * Kinds: `read` (SELECT/VALUES/TABLE without data-modifying CTEs, INTO or
 * row locks; SHOW; EXPLAIN without ANALYZE, or of a read), `dml` (INSERT,
 * UPDATE, DELETE, MERGE, a SELECT with a data-modifying CTE or FOR
 * UPDATE/SHARE, EXPLAIN ANALYZE of those), `ddl`, `dcl` (GRANT, roles),
 * `utility` (SET, transaction control, COPY, LOCK, DO, CALL, VACUUM …).
 */

export type StatementKind = 'read' | 'dml' | 'ddl' | 'dcl' | 'utility';

export interface ClassifiedStatement {
  kind: StatementKind;
  /** The top node type: SelectStmt, DeleteStmt, VariableSetStmt … */
  type: string;
  /** The statement as written, without the `;` that ends it (comments inside kept). */
  text: string;
  /** The statement node ({ SelectStmt: {...} }). */
  tree: Record<string, unknown>;
  refs: SchemaRefs;
  /** For EXPLAIN: whether it runs the statement (ANALYZE), and the explained statement's own kind. */
  explain?: { analyze: boolean; inner: StatementKind; innerType: string };
  /** Things policy cares about beyond the kind. */
  flags: {
    dataModifyingCte: boolean;
    selectInto: boolean;
    rowLocks: boolean;
    /** SET/RESET (not LOCAL), SET ROLE, SET SESSION AUTHORIZATION … : name of the setting. */
    sessionSetting?: string;
    /** A SET LOCAL: name of the setting. */
    localSetting?: string;
    /** COPY: to/from a server file, a program, or the client stream. */
    copy?: 'program' | 'file' | 'stream';
    /** Creates a temporary table/view/sequence (it would outlive the call on a pooled connection). */
    temporary: boolean;
  };
}

/** The statement cannot be accepted: not one statement, or a syntax error (with the parser's position). */
export class StatementRejected extends Error {
  readonly position: number | undefined;
  constructor(message: string, position?: number) {
    super(message);
    this.name = 'StatementRejected';
    this.position = position;
  }
}

let loading: Promise<void> | undefined;
let parse: typeof parseSync | undefined;

/**
 * Loads the parser's WASM module once (~20 ms); afterwards parsing is
 * synchronous (~0.04 ms a statement). Imported here, not at the top:
 * importing libpg-query instantiates its WASM at once (128 MB of reserved
 * memory), which a server without database tools should not carry.
 */
export function loadParser(): Promise<void> {
  loading ??= import('libpg-query').then(async (parser) => {
    await parser.loadModule();
    parse = parser.parseSync;
  });
  return loading;
}

type Node = Record<string, unknown>;
const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
const DCL = new Set([
  'GrantStmt',
  'GrantRoleStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'ReassignOwnedStmt',
  'DropOwnedStmt',
  'AlterPolicyStmt',
  'CreatePolicyStmt',
]);
/** DDL node types that do not start with Create/Alter/Drop/Define/Rename. */
const OTHER_DDL = new Set([
  'IndexStmt',
  'ViewStmt',
  'RuleStmt',
  'CommentStmt',
  'SecLabelStmt',
  'TruncateStmt',
  'CompositeTypeStmt',
  'RefreshMatViewStmt',
  'ImportForeignSchemaStmt',
  'CreateTableAsStmt',
  'ReindexStmt',
  'ClusterStmt',
]);

const isObject = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

function nodeType(stmt: Node): string {
  return Object.keys(stmt)[0] ?? 'unknown';
}

/** EXPLAIN's ANALYZE option is on unless explicitly false/off/0 (read conservatively). */
function explainAnalyzes(options: unknown): boolean {
  if (!Array.isArray(options)) return false;
  for (const option of options) {
    const def = isObject(option) && isObject(option.DefElem) ? option.DefElem : undefined;
    if (def?.defname !== 'analyze') continue;
    const arg = def.arg;
    if (arg === undefined) return true;
    const text = isObject(arg) && isObject(arg.String) ? String(arg.String.sval).toLowerCase() : undefined;
    const bool = isObject(arg) && isObject(arg.Boolean) ? arg.Boolean.boolval : undefined;
    const int = isObject(arg) && isObject(arg.Integer) ? arg.Integer.ival : undefined;
    if (text === 'false' || text === 'off' || text === '0' || text === 'no') continue;
    if (bool === false || (isObject(arg) && isObject(arg.Boolean) && bool === undefined)) continue;
    if (isObject(arg) && isObject(arg.Integer) && (int === 0 || int === undefined)) continue;
    return true;
  }
  return false;
}

function baseKind(type: string, flags: ClassifiedStatement['flags']): StatementKind {
  if (type === 'SelectStmt') {
    if (flags.selectInto) return 'ddl';
    if (flags.dataModifyingCte || flags.rowLocks) return 'dml';
    return 'read';
  }
  if (DML.has(type)) return 'dml';
  if (type === 'VariableShowStmt') return 'read';
  if (DCL.has(type)) return 'dcl';
  if (OTHER_DDL.has(type) || /^(Create|Alter|Drop|Define|Rename)/.test(type)) return 'ddl';
  return 'utility';
}

/** A CommonTableExpr anywhere whose query is INSERT/UPDATE/DELETE/MERGE. */
function hasDataModifyingCte(tree: unknown): boolean {
  const stack: unknown[] = [tree];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (isObject(value)) {
      if (isObject(value.CommonTableExpr) && isObject(value.CommonTableExpr.ctequery)) {
        if (DML.has(nodeType(value.CommonTableExpr.ctequery))) return true;
      }
      for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return false;
}

/** SELECT … INTO / FOR UPDATE anywhere in the tree (a subquery's counts too). */
function selectFeatures(tree: unknown): { into: boolean; locks: boolean } {
  const found = { into: false, locks: false };
  const stack: unknown[] = [tree];
  while (stack.length) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...value);
    else if (isObject(value)) {
      if (isObject(value.SelectStmt)) {
        if (value.SelectStmt.intoClause) found.into = true;
        if (Array.isArray(value.SelectStmt.lockingClause) && value.SelectStmt.lockingClause.length) found.locks = true;
      }
      for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return found;
}

function flagsOf(stmt: Node): ClassifiedStatement['flags'] {
  const type = nodeType(stmt);
  const body = stmt[type] as Node;
  const select = selectFeatures(stmt);
  const flags: ClassifiedStatement['flags'] = {
    dataModifyingCte: hasDataModifyingCte(stmt),
    selectInto: select.into,
    rowLocks: select.locks,
    temporary: false,
  };
  if (type === 'VariableSetStmt') {
    const name = typeof body.name === 'string' ? body.name : String(body.kind ?? 'all');
    if (body.is_local === true) flags.localSetting = name;
    else flags.sessionSetting = name;
  }
  if (type === 'CopyStmt') flags.copy = body.is_program ? 'program' : typeof body.filename === 'string' ? 'file' : 'stream';
  // relpersistence 't': CREATE TEMP TABLE/VIEW/SEQUENCE, SELECT INTO TEMP.
  flags.temporary = JSON.stringify(stmt).includes('"relpersistence":"t"');
  return flags;
}

/** The statement's own text (byte offsets: libpg-query counts UTF-8 bytes). */
function statementText(sql: string, location: number | undefined, length: number | undefined): string {
  const bytes = Buffer.from(sql, 'utf8');
  const start = location ?? 0;
  const end = length ? start + length : bytes.length;
  return bytes.subarray(start, end).toString('utf8').trim();
}

function classifyNode(stmt: Node, text: string): ClassifiedStatement {
  const type = nodeType(stmt);
  const refs = schemaRefs(stmt);
  const flags = flagsOf(stmt);
  if (type === 'ExplainStmt') {
    const body = stmt.ExplainStmt as Node;
    const inner = isObject(body.query) ? classifyNode(body.query, text) : undefined;
    const analyze = explainAnalyzes(body.options);
    const innerKind = inner?.kind ?? 'utility';
    // Without ANALYZE, EXPLAIN only plans: it reads the catalog, whatever it explains.
    return {
      kind: analyze ? innerKind : 'read',
      type,
      text,
      tree: stmt,
      refs,
      explain: { analyze, inner: innerKind, innerType: inner?.type ?? 'unknown' },
      // What the explained statement is (a data-modifying CTE, INTO …) is what EXPLAIN is.
      flags: inner ? inner.flags : flags,
    };
  }
  return { kind: baseKind(type, flags), type, text, tree: stmt, refs, flags };
}

/**
 * Exactly one statement, classified; StatementRejected for none, several, or
 * a syntax error. Call loadParser() once before.
 */
export function classifyStatement(sql: string): ClassifiedStatement {
  let parsed: ReturnType<typeof parseSync>;
  try {
    if (!parse) throw new Error('the SQL parser is not loaded: await loadParser() first');
    parsed = parse(sql);
  } catch (error) {
    const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const position = details?.cursorPosition;
    const at = position === undefined ? '' : ` at character ${position + 1}`;
    throw new StatementRejected(`syntax error${at}: ${(error as Error).message}`, position);
  }
  const statements = parsed.stmts ?? [];
  if (statements.length === 0) throw new StatementRejected('no SQL statement given (only whitespace or comments)');
  if (statements.length > 1) {
    throw new StatementRejected(`exactly one SQL statement is accepted per call; this text has ${statements.length} (separated by ";")`);
  }
  const raw = statements[0]!;
  const stmt = raw.stmt as unknown as Node;
  return classifyNode(stmt, statementText(sql, raw.stmt_location, raw.stmt_len));
}
