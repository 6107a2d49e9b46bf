// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectModern } from '../mcp/support.ts';
import { TEST_DATABASE_URL } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { createTargetDatabase, rest, type TargetDatabase, withDatabaseKind } from './database-pack-support.ts';

/**
 * The database tool pack end to end: POST /tools/packs/database on a real
 * listener writes the rows, calls go through the call path to the `database`
 * kind and a real data source. On a real PostgreSQL target (schemas public +
 * private, a login role, an RLS policy, data, pg_stat_statements and hypopg):
 * the walls of each mode with hostile statements, the rows still there
 * after; the DBA tools' real recommendations. On PGlite (always): the
 * "extension missing" answers, through the built-in samples source.
 */

describe.skipIf(!TEST_DATABASE_URL)('database pack on a real PostgreSQL target', () => {
  const holder: { target?: TargetDatabase } = {};
  const env: Record<string, string> = { TOOLPORT_CHANGE_POLL_MS: '100' };
  const kind = withDatabaseKind(env);
  const t = useToolport('postgres', env, kind.options);
  const api = rest(() => t.app.urls.utility!);
  const target = () => holder.target!;
  const orders = async () => Number((await target().admin`select count(*)::int as n from orders`)[0]!.n);

  beforeAll(async () => {
    holder.target = await createTargetDatabase();
    // The secrets are read at call time: set before the first call, after the Toolport started.
    env.TOOLPORT_SECRET_APP_DB_URL = target().appUrl;
    env.TOOLPORT_SECRET_APPADMIN_DB_URL = target().adminUrl;
    for (const [id, secret] of [
      ['app', 'APP_DB_URL'],
      ['appadmin', 'APPADMIN_DB_URL'],
    ]) {
      const created = await api.send('/data-sources', 'POST', { id, url: `\${secret:${secret}}`, access: 'read_write', rowLimit: 50 });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    // Let every process's catalog see the sources before the tools are loaded.
    for (let waited = 0; !kind.dataSources.get('appadmin') && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  }, 60_000);
  afterAll(async () => {
    await kind.dataSources.close();
    await holder.target?.drop();
  });

  describe('adding the pack', () => {
    it('user_ro adds 4 tools named <prefix>_<tool> as rows, with LLM descriptions, input schemas and read-only annotations', async () => {
      const added = await api.send('/tools/packs/database', 'POST', { source: 'app', mode: 'user_ro', prefix: 'ro' });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      expect(added.body).toMatchObject({ server: 'utility', source: 'app', mode: 'user_ro' });
      expect(added.body.tools.map((tool: any) => tool.name)).toEqual(['ro_list_objects', 'ro_get_object_details', 'ro_explain_query', 'ro_execute_sql']);
      expect(added.body.tools.every((tool: any) => tool.available === true)).toBe(true);
      const view = await api.send('/tools/ro_execute_sql');
      expect(view.body).toMatchObject({
        handler: 'database',
        config: { source: 'app', mode: 'user_ro', tool: 'execute_sql' },
        annotations: { readOnlyHint: true, destructiveHint: false },
        inputSchema: { type: 'object', properties: { sql: { type: 'string' } }, required: ['sql'] },
      });
      expect(view.body.description).toMatch(/exactly one SQL statement/);
      const rows = await t.db.database.query(`select count(*)::int as n from tools where server_id = 'utility' and handler = 'database'`);
      expect(rows.rows[0]).toEqual({ n: 4 });
    });

    it('admin_rw adds 9 tools; user_rw 4 (destructiveHint on execute_sql); "-" in a prefix becomes "_"', async () => {
      const admin = await api.send('/tools/packs/database', 'POST', { source: 'appadmin', mode: 'admin_rw', prefix: 'dba' });
      expect(admin.status, JSON.stringify(admin.body)).toBe(201);
      expect(admin.body.tools).toHaveLength(9);
      expect(admin.body.tools.map((tool: any) => tool.tool)).toEqual([
        'list_objects',
        'get_object_details',
        'explain_query',
        'execute_sql',
        'list_schemas',
        'analyze_db_health',
        'get_top_queries',
        'analyze_query_indexes',
        'analyze_workload_indexes',
      ]);
      const rw = await api.send('/tools/packs/database', 'POST', { source: 'app', mode: 'user_rw', prefix: 'r-w' });
      expect(rw.status).toBe(201);
      expect(rw.body.tools.map((tool: any) => tool.name)).toContain('r_w_execute_sql');
      expect((await api.send('/tools/r_w_execute_sql')).body.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    });

    it('a name that exists is a 409 naming it, and nothing is written', async () => {
      const before = await t.db.database.query(`select count(*)::int as n from tools`);
      const again = await api.send('/tools/packs/database', 'POST', { source: 'app', mode: 'admin_ro', prefix: 'ro' });
      expect(again.status).toBe(409);
      expect(again.body.error.message).toMatch(/"ro_list_objects", "ro_get_object_details", "ro_explain_query", "ro_execute_sql"/);
      expect(again.body.error.message).toMatch(/nothing was added/);
      const after = await t.db.database.query(`select count(*)::int as n from tools`);
      expect(after.rows).toEqual(before.rows);
      expect((await api.send('/tools/ro_list_schemas')).status).toBe(404);
    });

    it('bad requests name the field; an admin tool cannot be given a user mode', async () => {
      const bad = await api.send('/tools/packs/database', 'POST', { source: 'app', mode: 'superuser' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0].path).toBe('/mode');
      const direct = await api.send('/tools', 'POST', {
        name: 'sneaky_health',
        description: 'x',
        handler: 'database',
        config: { source: 'app', mode: 'user_ro', tool: 'analyze_db_health' },
      });
      expect(direct.status).toBe(400);
      expect(direct.body.error.details[0]).toMatchObject({ path: '/config/tool' });
      expect(direct.body.error.details[0].message).toMatch(/admin tool/);
    });
  });

  describe('user_ro: the walls', () => {
    it('DELETE is refused with a clear message, and the rows are still there', async () => {
      const before = await orders();
      const result = await api.call('ro_execute_sql', { sql: 'DELETE FROM orders' });
      expect(result.status).toBe(200);
      expect(result.body.isError).toBe(true);
      expect(result.body.content[0].text).toBe(
        'DELETE refused: the statement is a data-modifying statement (DML); user_ro runs only reads (SELECT, VALUES, SHOW, EXPLAIN)',
      );
      expect(await orders()).toBe(before);
    });

    it('SELECT … FROM private.t is refused although the role may read it', async () => {
      for (const sql of ['SELECT * FROM private.t', 'select * from "private"."t"', 'select * from orders where exists (select 1 from private.t)']) {
        const result = await api.call('ro_execute_sql', { sql });
        expect(result.body.isError, sql).toBe(true);
        expect(result.body.content[0].text).toMatch(/private\.t, outside the "public" schema/);
        expect(JSON.stringify(result.body)).not.toContain('the private row');
      }
      // The same statement in admin mode reads it: the refusal above was the pack's, not the database's.
      expect((await api.call('dba_execute_sql', { sql: 'select secret from private.t' })).body.structuredContent.rows).toEqual([{ secret: 'the private row' }]);
    });

    it('WITH … DELETE is refused, and the rows are still there', async () => {
      const before = await orders();
      const result = await api.call('ro_execute_sql', { sql: 'with gone as (delete from orders returning *) select count(*) from gone' });
      expect(result.body.isError).toBe(true);
      expect(result.body.content[0].text).toMatch(/a WITH clause that modifies data/);
      expect(await orders()).toBe(before);
    });

    it('several statements, SET ROLE, COPY … TO PROGRAM and dangerous functions are refused before anything is sent', async () => {
      const cases: [string, RegExp][] = [
        ['select 1; delete from orders', /exactly one SQL statement/],
        ['select 1 /* ; */; delete from orders -- ', /exactly one SQL statement/],
        ['set role postgres', /changes the session's role/],
        ["copy orders to program 'id'", /runs a shell command/],
        ['select pg_terminate_backend(pg_backend_pid())', /calls pg_terminate_backend\(\)/],
        ['select * from information_schema.schemata', /information_schema\.schemata, outside/],
        ['select * from pg_roles', /system catalog/],
      ];
      const before = await orders();
      for (const [sql, message] of cases) {
        const result = await api.call('ro_execute_sql', { sql });
        expect(result.body.isError, sql).toBe(true);
        expect(result.body.content[0].text, sql).toMatch(message);
      }
      expect(await orders()).toBe(before);
    });

    it('a volatile function the parser lets through is refused by the READ ONLY transaction (SQLSTATE 25006)', async () => {
      const result = await api.call('ro_execute_sql', { sql: "select nextval('orders_id_seq')" });
      expect(result.body.isError).toBe(true);
      expect(result.body.structuredContent.error.sqlstate).toBe('25006');
      expect(result.body.content[0].text).toMatch(/read-only transaction/);
    });

    it('reads work, limited by the source row limit, and RLS policies see the tool as toolport.tool', async () => {
      const read = await api.call('ro_execute_sql', { sql: 'select id, status from orders order by id' });
      expect(read.body.structuredContent).toMatchObject({
        rowCount: 50,
        truncated: true,
        columns: [
          { name: 'id', type: 'int8' },
          { name: 'status', type: 'text' },
        ],
      });
      // Unqualified names mean public; comments and semicolons inside strings do not matter.
      const quoted = await api.call('ro_execute_sql', { sql: 'select count(*)::int as n, \';\' as s from "public"."customers" /* ; */ -- ;' });
      expect(quoted.body.structuredContent.rows).toEqual([{ n: 2000, s: ';' }]);
      const notes = await api.call('ro_execute_sql', { sql: 'select body from notes' });
      expect(notes.body.structuredContent.rows).toEqual([{ body: 'for the read-only tool' }]);
      const identity = await api.call('ro_execute_sql', {
        sql: "select current_setting('toolport.server', true) as server, current_setting('toolport.tool', true) as tool",
      });
      expect(identity.body.structuredContent.rows).toEqual([{ server: 'utility', tool: 'ro_execute_sql' }]);
    });

    it('unqualified names mean public even when the role puts another schema first on its search_path', async () => {
      const own = await target().admin.unsafe(`select rolconfig from pg_roles where rolname = '${target().role}'`);
      expect(own[0]!.rolconfig).toEqual(['search_path=private, public']);
      const counted = await api.call('ro_execute_sql', { sql: 'select count(*)::int as n from customers' });
      expect(counted.body.structuredContent.rows).toEqual([{ n: 2000 }]);
    });

    it('list_objects and get_object_details show public only; another schema is a 400 naming the argument', async () => {
      const listed = await api.call('ro_list_objects', { type: 'table' });
      expect(listed.body.structuredContent.objects.map((object: any) => object.name).sort()).toEqual(['customers', 'notes', 'orders']);
      const details = await api.call('ro_get_object_details', { name: 'orders' });
      expect(details.body.structuredContent).toMatchObject({ schema: 'public', name: 'orders', type: 'table', comment: 'Customer orders' });
      expect(details.body.structuredContent.columns.map((column: any) => column.name)).toEqual(['id', 'customer_id', 'status', 'created_at', 'total']);
      expect(details.body.structuredContent.constraints.map((constraint: any) => constraint.type).sort()).toEqual(['foreign_key', 'primary_key']);
      expect(details.body.structuredContent.indexes[0]).toMatchObject({ name: 'orders_pkey', primary: true, valid: true });
      const other = await api.call('ro_list_objects', { schema: 'private' });
      expect(other.status).toBe(400);
      expect(other.body.error.details[0].path).toBe('/arguments/schema');
      expect((await api.call('ro_get_object_details', { schema: 'private', name: 't' })).status).toBe(400);
    });

    it('explain_query plans a DELETE without running it; ANALYZE of it is refused', async () => {
      const plan = await api.call('ro_explain_query', { sql: 'delete from orders where id = 1' });
      expect(plan.body.structuredContent).toMatchObject({ analyzed: false, summary: { nodeType: 'ModifyTable' } });
      const refused = await api.call('ro_explain_query', { sql: 'delete from orders where id = 1', analyze: true });
      expect(refused.body.isError).toBe(true);
      expect(refused.body.content[0].text).toMatch(/DELETE refused/);
      const analyzed = await api.call('ro_explain_query', { sql: 'select count(*) from orders where status = $$paid$$', analyze: true });
      expect(analyzed.body.structuredContent.summary).toMatchObject({ nodeType: 'Aggregate', rolledBack: true });
      expect(analyzed.body.structuredContent.summary.actualTotalTimeMs).toBeGreaterThan(0);
    });
  });

  describe('user_rw and admin_rw', () => {
    it('user_rw runs DML on public, not DDL and not private.t; EXPLAIN ANALYZE of a DELETE is rolled back', async () => {
      const updated = await api.call('r_w_execute_sql', { sql: "update orders set status = 'void' where id = 1" });
      expect(updated.body.structuredContent).toMatchObject({ rowCount: 1, command: 'UPDATE' });
      expect((await target().admin`select status from orders where id = 1`)[0]!.status).toBe('void');
      expect((await api.call('r_w_execute_sql', { sql: 'create table x (a int)' })).body.content[0].text).toMatch(/schema change \(DDL\)/);
      expect((await api.call('r_w_execute_sql', { sql: 'delete from private.t' })).body.content[0].text).toMatch(/private\.t, outside/);
      const before = await orders();
      const explained = await api.call('r_w_explain_query', { sql: 'delete from orders where id <= 100', analyze: true });
      expect(explained.body.structuredContent.summary).toMatchObject({ actualRows: 0, rolledBack: true });
      expect(await orders()).toBe(before);
      expect((await target().admin`select count(*)::int as n from private.t`)[0]!.n).toBe(1);
    });

    it('admin_rw runs DDL; list_schemas shows private', async () => {
      const created = await api.call('dba_execute_sql', { sql: 'create table public.made_by_admin (a int)' });
      expect(created.body.structuredContent.command).toBe('CREATE TABLE');
      const schemas = await api.call('dba_list_schemas');
      expect(schemas.body.structuredContent.schemas.map((schema: any) => schema.name)).toEqual(expect.arrayContaining(['public', 'private']));
      expect((await api.call('dba_list_objects', { schema: 'private' })).body.structuredContent.objects.map((object: any) => object.name)).toEqual([
        'customers',
        't',
      ]);
      // Still refused in every mode: what would outlive the call's transaction.
      expect((await api.call('dba_execute_sql', { sql: 'set role postgres' })).body.isError).toBe(true);
      expect((await api.call('dba_execute_sql', { sql: 'commit' })).body.isError).toBe(true);
    });
  });

  describe('admin tools with pg_stat_statements and hypopg', () => {
    it('analyze_db_health gives each check a verdict and a sentence; a NOT VALID constraint is a warning', async () => {
      await target().admin.unsafe('ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID');
      const health = await api.call('dba_analyze_db_health');
      const checks = health.body.structuredContent.checks;
      expect(checks.map((check: any) => check.check)).toEqual([
        'invalid_indexes',
        'duplicate_indexes',
        'unused_indexes',
        'index_bloat',
        'connections',
        'vacuum',
        'sequences',
        'buffer_cache',
        'invalid_constraints',
      ]);
      for (const check of checks) {
        expect(['ok', 'warning', 'critical'], check.check).toContain(check.verdict);
        expect(check.message.length).toBeGreaterThan(10);
      }
      expect(checks.find((check: any) => check.check === 'invalid_constraints')).toMatchObject({ verdict: 'warning' });
      expect(checks.find((check: any) => check.check === 'invalid_constraints').details[0]).toMatchObject({ constraint: 'total_positive' });
      expect(['warning', 'critical']).toContain(health.body.structuredContent.verdict);
    });

    it('get_top_queries lists the workload by total and by mean time', async () => {
      await target().admin.unsafe('SELECT pg_stat_statements_reset()');
      for (let i = 0; i < 5; i++) await target().admin`select * from orders where customer_id = ${42 + i} order by created_at desc limit 5`;
      const top = await api.call('dba_get_top_queries', { limit: 20 });
      expect(top.body.structuredContent.available).toBe(true);
      const byTotal = top.body.structuredContent.byTotalTime;
      const ours = byTotal.find((row: any) => /from orders where customer_id = \$1/.test(row.query));
      expect(ours, JSON.stringify(byTotal)).toMatchObject({ calls: 5 });
      expect(top.body.structuredContent.byMeanTime.length).toBeGreaterThan(0);
    });

    it('analyze_query_indexes recommends a real index judged with hypopg, ranked, and creates nothing', async () => {
      const result = await api.call('dba_analyze_query_indexes', {
        queries: ['select * from orders where customer_id = $1 order by created_at desc limit 5', "select count(*) from orders where status = 'paid'"],
      });
      const content = result.body.structuredContent;
      expect(content.available).toBe(true);
      expect(content.recommendations[0]).toMatchObject({
        definition: 'CREATE INDEX ON "public"."orders" ("customer_id", "created_at")',
        table: 'public.orders',
      });
      expect(content.recommendations[0].improvementPercent).toBeGreaterThan(50);
      expect(content.recommendations[0].sizeBytes).toBeGreaterThan(0);
      expect(content.queries[0].costBefore).toBeGreaterThan(content.queries[0].candidates[0].costAfter);
      const indexes = await target().admin`select count(*)::int as n from pg_indexes where tablename = 'orders'`;
      expect(indexes[0]!.n).toBe(1);
    });

    it('analyze_workload_indexes recommends indexes for the top queries, weighted by calls', async () => {
      const result = await api.call('dba_analyze_workload_indexes', { limit: 10 });
      const content = result.body.structuredContent;
      expect(content.available).toBe(true);
      expect(content.analysed).toBeGreaterThan(0);
      expect(content.recommendations.map((recommendation: any) => recommendation.definition)).toContain(
        'CREATE INDEX ON "public"."orders" ("customer_id", "created_at")',
      );
    });
  });

  it('no response ever carried the connection URL or its password', () => {
    const all = api.bodies.join('\n');
    expect(all).not.toContain(target().password);
    expect(all).not.toContain(target().appUrl);
  });
});

describe('database pack on PGlite (always): the samples source and missing extensions', () => {
  const env: Record<string, string> = { TOOLPORT_ADMIN_TOKEN: 'pack-admin-token-0123456789' };
  const kind = withDatabaseKind(env);
  const t = useToolport('pglite', env, kind.options);
  const api = rest(() => t.app.urls.utility!, { authorization: 'Bearer pack-admin-token-0123456789' });
  afterAll(() => kind.dataSources.close());

  it('POST /tools/packs/database is admin only', async () => {
    const response = await fetch(`${t.app.urls.utility}/tools/packs/database`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'samples', mode: 'admin_ro' }),
    });
    expect(response.status).toBe(401);
  });

  it('admin_ro on samples adds 9 tools named after the server; execute_sql reads the sample tables and refuses writes', async () => {
    const added = await api.send('/tools/packs/database', 'POST', { source: 'samples', mode: 'admin_ro' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.tools).toHaveLength(9);
    expect(added.body.tools[0].name).toBe('utility_list_objects');
    const read = await api.call('utility_execute_sql', { sql: 'select count(*)::int as n from sample_stock_quotes' });
    expect(read.body.structuredContent.rows[0].n).toBeGreaterThan(0);
    const refused = await api.call('utility_execute_sql', { sql: 'delete from sample_stock_quotes' });
    expect(refused.body.content[0].text).toMatch(/DELETE refused/);
    // The samples role reads the sample tables only: the database refuses the registry's own tables.
    const denied = await api.call('utility_execute_sql', { sql: 'select * from tools' });
    expect(denied.body.structuredContent.error.sqlstate).toBe('42501');
  });

  it('over MCP: the pack is listed with its annotations; a refused statement is an isError result the model reads', async () => {
    const client = await connectModern(t.app.urls.utility!);
    try {
      const listed = await client.listTools();
      const tool = listed.tools.find((entry) => entry.name === 'utility_execute_sql');
      expect(tool?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
      expect(tool?.inputSchema).toMatchObject({ properties: { sql: { type: 'string' } } });
      const refused = await client.callTool({
        name: 'utility_execute_sql',
        arguments: { sql: 'with d as (delete from sample_weather returning *) select * from d' },
      });
      expect(refused.isError).toBe(true);
      expect((refused.content as { text: string }[])[0]!.text).toMatch(/a WITH clause that modifies data/);
      const read = await client.callTool({ name: 'utility_execute_sql', arguments: { sql: 'select count(*)::int as n from sample_weather' } });
      expect(read.isError).toBeFalsy();
      expect((read.structuredContent as { rows: { n: number }[] }).rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('get_top_queries without pg_stat_statements: a clear, non-error result saying how to enable it', async () => {
    const result = await api.call('utility_get_top_queries');
    expect(result.status).toBe(200);
    expect(result.body.isError).toBeFalsy();
    expect(result.body.structuredContent).toMatchObject({ available: false, extension: 'pg_stat_statements' });
    expect(result.body.content[0].text).toMatch(/shared_preload_libraries/);
    expect(result.body.content[0].text).toMatch(/CREATE EXTENSION pg_stat_statements/);
  });

  it('the index tools without hypopg (or pg_stat_statements): a clear result saying how to install it', async () => {
    const query = await api.call('utility_analyze_query_indexes', { queries: ['select * from sample_stock_quotes where symbol = $1'] });
    expect(query.body.isError).toBeFalsy();
    expect(query.body.structuredContent).toMatchObject({ available: false, extension: 'hypopg' });
    expect(query.body.content[0].text).toMatch(/hypopg/);
    expect(query.body.structuredContent.howToEnable.join(' ')).toMatch(/CREATE EXTENSION hypopg/);
    const workload = await api.call('utility_analyze_workload_indexes');
    expect(workload.body.structuredContent).toMatchObject({ available: false, extension: 'pg_stat_statements' });
  });

  it('a *_rw pack on the read-only samples source is written but unavailable, with the reason', async () => {
    const added = await api.send('/tools/packs/database', 'POST', { source: 'samples', mode: 'user_rw', prefix: 'writer' });
    expect(added.status).toBe(201);
    expect(added.body.tools[0]).toMatchObject({ available: false });
    expect(added.body.tools[0].reason).toMatch(/read_only/);
  });

  it('a pack on a source that does not exist is written, listed unavailable with the reason, and its calls are 503', async () => {
    const added = await api.send('/tools/packs/database', 'POST', { source: 'warehouse', mode: 'user_ro', prefix: 'wh' });
    expect(added.status).toBe(201);
    expect(added.body.tools[0]).toMatchObject({ name: 'wh_list_objects', available: false });
    expect(added.body.tools[0].reason).toMatch(/no data source "warehouse"/);
    const call = await api.call('wh_execute_sql', { sql: 'select 1' });
    expect(call.status).toBe(503);
    expect(call.body.error.message).toMatch(/warehouse/);
  });

  it('analyze_db_health runs on PGlite too (each check answers)', async () => {
    const health = await api.call('utility_analyze_db_health');
    expect(health.status).toBe(200);
    expect(health.body.structuredContent.checks).toHaveLength(9);
  });
});
