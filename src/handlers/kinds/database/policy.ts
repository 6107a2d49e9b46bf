import type { ClassifiedStatement, StatementKind } from './classify.ts';
import { type DatabaseMode, isReadOnlyMode, isUserMode, USER_SCHEMA } from './modes.ts';
import type { ObjectRef } from './schema-refs.ts';

/**
 * What a mode may run, decided on the classified parse tree (classify.ts).
 * This is the first wall; the READ ONLY transaction of *_ro modes is the
 * second (the database itself refuses a write a function call hides, with
 * SQLSTATE 25006), the forced search_path and the source's role the others.
 */

/** Node types that leave state on the (pooled, shared) connection after the call's transaction. */
const SESSION_STATE = new Map<string, string>([
  ['PrepareStmt', 'PREPARE'],
  ['ExecuteStmt', 'EXECUTE'],
  ['DeallocateStmt', 'DEALLOCATE'],
  ['DeclareCursorStmt', 'DECLARE CURSOR'],
  ['FetchStmt', 'FETCH'],
  ['ClosePortalStmt', 'CLOSE'],
  ['ListenStmt', 'LISTEN'],
  ['UnlistenStmt', 'UNLISTEN'],
  ['DiscardStmt', 'DISCARD'],
  ['LoadStmt', 'LOAD'],
]);

/**
 * Functions refused in every mode but admin_rw: they reach the server's files
 * or programs, other sessions, the configuration, session-level locks, large
 * objects, other databases, or run a query given as a string (which would
 * bypass this check). Matched on the function's own name, qualified or not.
 */
const DANGEROUS_EXACT = new Set([
  'pg_stat_file',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_create_restore_point',
  'pg_drop_replication_slot',
  'pg_notify',
  'pg_import_system_collations',
  'pg_log_backend_memory_contexts',
  'set_config',
  'ts_stat',
  'loread',
  'lowrite',
]);
const DANGEROUS_PREFIXES = [
  'pg_read_',
  'pg_ls_',
  'pg_file_',
  'lo_',
  'dblink',
  'pg_create_',
  'pg_replication_',
  'pg_logical_',
  'pg_copy_',
  'pg_wal_replay_',
  'pg_stat_reset',
  'pg_advisory_',
  'pg_try_advisory_',
  'query_to_xml',
  'table_to_xml',
  'cursor_to_xml',
  'schema_to_xml',
  'database_to_xml',
];
/** In user modes also: functions that look objects up by name or print definitions of any schema. */
const USER_REFUSED_PREFIXES = ['to_reg', 'pg_get_'];
/** Casts that resolve a name to an object of any schema ('private.t'::regclass). */
const REG_TYPES = /^reg(class|proc|procedure|oper|operator|type|namespace|role|config|dictionary|collation)$/;

const KIND_WORDS: Record<StatementKind, string> = {
  read: 'a read',
  dml: 'a data-modifying statement (DML)',
  ddl: 'a schema change (DDL)',
  dcl: 'a privilege or role change (DCL)',
  utility: 'a utility statement',
};

/** DeleteStmt → DELETE, VariableSetStmt → SET … for messages. */
export function commandName(statement: ClassifiedStatement): string {
  const names: Record<string, string> = {
    SelectStmt: 'SELECT',
    InsertStmt: 'INSERT',
    UpdateStmt: 'UPDATE',
    DeleteStmt: 'DELETE',
    MergeStmt: 'MERGE',
    VariableSetStmt: 'SET',
    VariableShowStmt: 'SHOW',
    TransactionStmt: 'transaction control',
    CopyStmt: 'COPY',
    DoStmt: 'DO',
    CallStmt: 'CALL',
    ExplainStmt: 'EXPLAIN',
    LockStmt: 'LOCK',
    VacuumStmt: 'VACUUM/ANALYZE',
    TruncateStmt: 'TRUNCATE',
  };
  return (
    names[statement.type] ??
    statement.type
      .replace(/Stmt$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toUpperCase()
  );
}

const qualified = (ref: ObjectRef) => (ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`);

function dangerousFunction(statement: ClassifiedStatement, user: boolean): string | undefined {
  for (const fn of statement.refs.functions) {
    const name = fn.name.toLowerCase();
    if (DANGEROUS_EXACT.has(name) || DANGEROUS_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      return `calls ${qualified(fn)}(), which reaches beyond the query (server files or programs, other sessions, configuration, locks, large objects, dynamic SQL); only admin_rw may call it`;
    }
    if (user && USER_REFUSED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      return `calls ${qualified(fn)}(), which looks up objects of any schema; user modes see only "${USER_SCHEMA}" (use list_objects / get_object_details)`;
    }
  }
  return undefined;
}

/** User modes: every named relation, function and type is in public (or, for functions and types, pg_catalog built-ins). */
function outsidePublic(statement: ClassifiedStatement): string | undefined {
  for (const rel of statement.refs.relations) {
    if (rel.catalog !== undefined) return `names ${rel.catalog}.${qualified(rel)}: database-qualified names are not accepted`;
    if (rel.schema !== undefined && rel.schema !== USER_SCHEMA) {
      return `reads or writes ${qualified(rel)}, outside the "${USER_SCHEMA}" schema; only objects in "${USER_SCHEMA}" are visible in this mode`;
    }
    // Unqualified pg_* names resolve to the system catalogs (pg_catalog is searched first, whatever search_path says).
    if (rel.schema === undefined && rel.name.toLowerCase().startsWith('pg_')) {
      return `reads ${rel.name}, a system catalog (pg_catalog); only objects in "${USER_SCHEMA}" are visible in this mode`;
    }
  }
  for (const fn of statement.refs.functions) {
    if (fn.schema !== undefined && fn.schema !== USER_SCHEMA && fn.schema !== 'pg_catalog') {
      return `calls ${qualified(fn)}(), outside the "${USER_SCHEMA}" schema`;
    }
  }
  for (const type of statement.refs.types) {
    if (type.schema !== undefined && type.schema !== USER_SCHEMA && type.schema !== 'pg_catalog')
      return `uses the type ${qualified(type)}, outside "${USER_SCHEMA}"`;
    if (REG_TYPES.test(type.name.toLowerCase())) {
      return `casts to ${type.name}, which resolves names of any schema; user modes see only "${USER_SCHEMA}"`;
    }
  }
  return undefined;
}

function allowedKinds(mode: DatabaseMode): ReadonlySet<StatementKind> {
  if (isReadOnlyMode(mode)) return new Set(['read']);
  if (mode === 'user_rw') return new Set(['read', 'dml']);
  return new Set(['read', 'dml', 'ddl', 'dcl', 'utility']);
}

function allowedWords(mode: DatabaseMode): string {
  if (isReadOnlyMode(mode)) return 'only reads (SELECT, VALUES, SHOW, EXPLAIN)';
  if (mode === 'user_rw') return `reads and DML (INSERT, UPDATE, DELETE, MERGE) on "${USER_SCHEMA}"`;
  return 'any single statement that runs inside a transaction';
}

/** Refusals every mode shares: what would escape the call's own transaction or stream data past the session. */
function sharedRefusal(statement: ClassifiedStatement, mode: DatabaseMode): string | undefined {
  const { flags, type } = statement;
  if (type === 'TransactionStmt') {
    return 'BEGIN, COMMIT, ROLLBACK and SAVEPOINT are not accepted: each call runs in its own transaction';
  }
  if (flags.copy) {
    const what =
      flags.copy === 'program'
        ? 'COPY … PROGRAM runs a shell command on the database server'
        : flags.copy === 'file'
          ? "COPY to or from a server file reaches the server's file system"
          : 'COPY streams data outside the result';
    return `${what}; COPY is not accepted (use SELECT to read rows${mode === 'admin_rw' || mode === 'user_rw' ? ', INSERT to write them' : ''})`;
  }
  if (flags.sessionSetting !== undefined) {
    const role = flags.sessionSetting === 'role' || flags.sessionSetting === 'session_authorization';
    const what = role ? "changes the session's role" : `changes the setting "${flags.sessionSetting}" for the whole session`;
    return `${what}, which would outlive the call on a shared connection; not accepted${mode === 'admin_rw' ? ' (SET LOCAL lasts for the call only)' : ''}`;
  }
  const session = SESSION_STATE.get(type);
  if (session) return `${session} leaves state on the shared connection after the call; not accepted`;
  if (flags.temporary) return 'temporary objects would outlive the call on a shared connection; not accepted';
  return undefined;
}

/** Why `mode` may not run this statement (undefined: it may). */
export function refusalReason(statement: ClassifiedStatement, mode: DatabaseMode): string | undefined {
  const shared = sharedRefusal(statement, mode);
  if (shared) return `${commandName(statement)} refused: ${shared}`;
  if (mode !== 'admin_rw' && statement.flags.localSetting !== undefined) {
    return `SET refused: ${mode} does not change settings or roles (SET LOCAL ${statement.flags.localSetting})`;
  }
  const kinds = allowedKinds(mode);
  if (!kinds.has(statement.kind)) {
    const why = statement.flags.dataModifyingCte
      ? 'a WITH clause that modifies data (INSERT/UPDATE/DELETE/MERGE in a CTE)'
      : statement.flags.selectInto
        ? 'SELECT … INTO, which creates a table'
        : statement.flags.rowLocks && statement.type === 'SelectStmt'
          ? 'SELECT … FOR UPDATE/SHARE, which locks rows'
          : statement.explain?.analyze
            ? `EXPLAIN ANALYZE, which runs the ${statement.explain.innerType.replace(/Stmt$/, '').toUpperCase()}`
            : KIND_WORDS[statement.kind];
    return `${commandName(statement)} refused: the statement is ${why}; ${mode} runs ${allowedWords(mode)}`;
  }
  if (mode !== 'admin_rw') {
    const dangerous = dangerousFunction(statement, isUserMode(mode));
    if (dangerous) return `${commandName(statement)} refused: it ${dangerous}`;
  }
  if (isUserMode(mode)) {
    const outside = outsidePublic(statement);
    if (outside) return `${commandName(statement)} refused: it ${outside}`;
  }
  return undefined;
}

/**
 * explain_query without ANALYZE plans only: any explainable statement is
 * fine as long as it names only what the mode may see and calls nothing
 * refused (planning folds immutable calls only, but the check stays simple).
 */
export function explainRefusal(statement: ClassifiedStatement, mode: DatabaseMode, analyze: boolean): string | undefined {
  if (analyze) return refusalReason(statement, mode);
  const explainable = ['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'];
  if (!explainable.includes(statement.type)) return `${commandName(statement)} cannot be explained: give a SELECT, INSERT, UPDATE, DELETE or MERGE`;
  if (statement.flags.selectInto) return 'SELECT … INTO cannot be explained here';
  if (mode !== 'admin_rw') {
    const dangerous = dangerousFunction(statement, isUserMode(mode));
    if (dangerous) return `${commandName(statement)} refused: it ${dangerous}`;
  }
  if (isUserMode(mode)) {
    const outside = outsidePublic(statement);
    if (outside) return `${commandName(statement)} refused: it ${outside}`;
  }
  return undefined;
}
