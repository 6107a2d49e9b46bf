// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import postgres from 'postgres';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlers as builtInHandlers } from '../../src/handlers/index.ts';
import { checkSqlTool } from '../../src/handlers/kinds/sql/check.ts';
import { sqlConfigSchema } from '../../src/handlers/kinds/sql/config.ts';
import { createSqlKind, parseStatement, quoteIdentifier } from '../../src/handlers/kinds/sql/index.ts';
import { DataSources } from '../../src/providers/data-sources/index.ts';
import type { DataSourceDefinition } from '../../src/providers/data-sources/types.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { connectModern } from '../mcp/support.ts';
import { backends, createPostgresDatabase, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { json, type RunningToolport, startTestToolport } from '../support/toolport.ts';

// The `sql` kind: the statement's placeholders (unit cases of every quoting trick), then sql tools registered over
// REST and called over REST and MCP on a real Toolport — the built-in `samples` source on both backends, and on
// PostgreSQL an outside database as a read_write source.

const parse = (statement: string) => {
  const parsed = parseStatement(statement);
  return {
    text: parsed.segments.map((segment) => ('text' in segment ? segment.text : `{{${segment.identifier}}}`)).join(''),
    parameters: parsed.parameters,
    problems: parsed.problems,
  };
};

describe('sql statements: named parameters and identifier placeholders', () => {
  it('turns :name into $n, binding a name used twice once', () => {
    expect(parse('select * from t where a = :a and (b = :b or :a is null)')).toEqual({
      text: 'select * from t where a = $1 and (b = $2 or $1 is null)',
      parameters: ['a', 'b'],
      problems: [],
    });
  });

  it('skips casts, string literals, escapes, quoted identifiers, dollar quotes and comments', () => {
    const cases: [string, string, string[]][] = [
      ['select :x::int, :y :: text', 'select $1::int, $2 :: text', ['x', 'y']],
      ["select ':no', 'it''s :no', :yes", "select ':no', 'it''s :no', $1", ['yes']],
      ["select E'\\' :no', :yes", "select E'\\' :no', $1", ['yes']],
      ["select e'a\\\\', :yes", "select e'a\\\\', $1", ['yes']],
      ["select name'x', 'a\\', :yes", "select name'x', 'a\\', $1", ['yes']],
      ['select "col :no", "a""b:no" from t where c = :yes', 'select "col :no", "a""b:no" from t where c = $1', ['yes']],
      ['select $$ :no $$, $fn$ :no $x$ :no $fn$, :yes', 'select $$ :no $$, $fn$ :no $x$ :no $fn$, $1', ['yes']],
      ['select 1 -- :no\n, :yes', 'select 1 -- :no\n, $1', ['yes']],
      ['select /* :no /* nested :no */ still :no */ :yes', 'select /* :no /* nested :no */ still :no */ $1', ['yes']],
      ['select a[1:2], a[:lo : 3] from t', 'select a[1:2], a[$1 : 3] from t', ['lo']],
      ['select a$b, :yes from t', 'select a$b, $1 from t', ['yes']],
      ['select :yes;', 'select $1', ['yes']],
      ['select :yes; -- done\n', 'select $1', ['yes']],
    ];
    for (const [statement, text, parameters] of cases) expect(parse(statement), statement).toEqual({ text, parameters, problems: [] });
  });

  it('reports positional parameters, several statements and unclosed literals', () => {
    expect(parse('select $1').problems).toEqual(['uses a positional parameter ($1 …): write named parameters (:name)']);
    expect(parse('select 1; delete from t').problems).toEqual(['holds more than one statement: a tool runs exactly one']);
    expect(parse("select 'open").problems).toEqual(['has an unclosed string literal']);
    expect(parse('select "open').problems).toEqual(['has an unclosed quoted identifier']);
    expect(parse('select $a$ open').problems).toEqual(['has an unclosed dollar-quoted string ($a$)']);
    expect(parse('select /* open').problems).toEqual(['has an unclosed /* comment']);
    // A ; inside a literal or comment is not a second statement.
    expect(parse("select ';' -- ; x\n").problems).toEqual([]);
  });

  it('{{name}} placeholders outside literals; identifiers are always quoted, a dot qualifies', () => {
    const parsed = parseStatement("select count(*) from {{table}} where '{{no}}' <> :x and {{ table }} is not null");
    expect(parsed.identifiers).toEqual(['table']);
    expect(parsed.parameters).toEqual(['x']);
    expect(quoteIdentifier('sample_weather')).toBe('"sample_weather"');
    expect(quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(quoteIdentifier('public.Items')).toBe('"public"."Items"');
  });

  it('checkTool: every placeholder is an input property, identifiers have allow-lists matching their enum', () => {
    const config = v.parse(sqlConfigSchema(10_000), {
      source: 'samples',
      statement: 'select * from {{table}} where a = :a and b = :missing and c = {{col}}',
      identifiers: { table: ['t1', 't2'], unused: ['x'] },
    });
    const issues = checkSqlTool(config, { type: 'object', properties: { a: { type: 'string' }, table: { type: 'string', enum: ['t1', 't3'] }, col: {} } });
    expect(issues).toEqual([
      { path: '/statement', message: expect.stringMatching(/^parameter :missing has no property of that name/) },
      { path: '/identifiers/table', message: 'input_schema enum of "table" has values the allow-list does not: "t3"' },
      { path: '/identifiers', message: expect.stringMatching(/^\{\{col\}\} has no allow-list/) },
      { path: '/identifiers/unused', message: '{{unused}} does not appear in the statement' },
    ]);
    expect(v.safeParse(sqlConfigSchema(10_000), { source: 'samples', statement: 'select 1', extra: 1 }).issues?.[0]?.message).toMatch(/is not a known field/);
  });
});

const SYMBOL_SCHEMA = { type: 'object', properties: { symbol: { type: 'string', description: 'Ticker, e.g. AAPL' } }, required: ['symbol'] };

describe.each(backends)('sql tools called through Toolport (%s)', (backend) => {
  const logs: string[] = [];
  let db: TestDatabase;
  let app: RunningToolport;
  let sources: DataSources;
  let target: { url: string; drop: () => Promise<void> } | undefined;
  let base: string;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await db.database.query(
      "INSERT INTO sample_stock_quotes (symbol, company_name, currency, price, as_of, source) VALUES ('AAPL', 'Apple', 'USD', 190.5, '2026-01-02', 'test'), ('MSFT', 'Microsoft', 'USD', 410, '2026-01-02', 'test') ON CONFLICT DO NOTHING",
    );
    const secrets: Record<string, string> = {};
    sources = new DataSources({ secret: (name) => secrets[name], logger: createLogger('silent') });
    sources.bindOwnDatabase(db.database);
    const definitions: DataSourceDefinition[] = [];
    if (backend === 'postgres') {
      target = await createPostgresDatabase();
      const admin = postgres(target.url, { max: 1, onnotice: () => {} });
      await admin.unsafe(`
        CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL, total numeric(10,2) NOT NULL);
        INSERT INTO orders (customer, total) VALUES ('alice', 10), ('alice', 20), ('bob', 5);
        CREATE ROLE tp_rls_${process.pid} LOGIN;
        GRANT SELECT, INSERT ON orders TO tp_rls_${process.pid};
        GRANT USAGE ON SEQUENCE orders_id_seq TO tp_rls_${process.pid};`);
      await admin.end();
      secrets.SHOP_DB_URL = target.url;
      const rls = new URL(target.url);
      rls.username = `tp_rls_${process.pid}`;
      secrets.SHOP_RLS_URL = rls.toString();
      const now = new Date().toISOString();
      definitions.push({
        id: 'shop_rls',
        description: 'the shop, as a role under row-level security',
        kind: 'postgres',
        url: '${secret:SHOP_RLS_URL}',
        access: 'read_only',
        poolSize: 2,
        statementTimeoutMs: 2000,
        rowLimit: 100,
        enabled: true,
        createdAt: now,
        updatedAt: now,
      });
      definitions.push({
        id: 'shop',
        description: 'the shop',
        kind: 'postgres',
        url: '${secret:SHOP_DB_URL}',
        access: 'read_write',
        poolSize: 4,
        statementTimeoutMs: 2000,
        rowLimit: 2,
        enabled: true,
        createdAt: now,
        updatedAt: now,
      });
    }
    sources.replace(definitions);
    const sql = createSqlKind({ dataSources: sources, logger: createLogger('debug', (line) => logs.push(line)), slowQueryMs: 150, callTimeoutMs: 10_000 });
    app = await startTestToolport(db, {}, { handlers: new Map([...builtInHandlers, [sql.name, sql]]) });
    base = app.urls.utility!;
  });
  afterAll(async () => {
    await app?.stop();
    await sources?.close();
    await db?.dispose();
    if (target) {
      const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
      await target.drop();
      await admin.unsafe(`DROP ROLE IF EXISTS tp_rls_${process.pid}`);
      await admin.end();
    }
  });

  const register = async (body: Record<string, unknown>) => {
    const response = await fetch(`${base}/tools`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await json(response) };
  };
  const expectCreated = async (body: Record<string, unknown>) => {
    const created = await register(body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.available, created.body.reason).toBe(true);
    return created.body;
  };
  const call = async (name: string, args: Record<string, unknown>) => {
    const response = await fetch(`${base}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, arguments: args }),
    });
    return { status: response.status, body: await json(response) };
  };

  it('a tool on the built-in samples source: REST and MCP calls return rows, rowCount, truncated and typed columns', async () => {
    await expectCreated({
      name: 'stock_price_sql',
      description: 'Latest sample quote of a ticker',
      handler: 'sql',
      inputSchema: SYMBOL_SCHEMA,
      config: { source: 'samples', statement: 'select symbol, price, as_of from sample_stock_quotes where symbol = upper(:symbol)' },
    });
    const { status, body } = await call('stock_price_sql', { symbol: 'aapl' });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.structuredContent).toEqual({
      rows: [{ symbol: 'AAPL', price: 190.5, as_of: expect.stringMatching(/^2026-01-02/) }],
      rowCount: 1,
      truncated: false,
      columns: [
        { name: 'symbol', type: 'text' },
        { name: 'price', type: 'float8' },
        { name: 'as_of', type: 'date' },
      ],
    });
    const client = await connectModern(base);
    try {
      const result = (await client.callTool({ name: 'stock_price_sql', arguments: { symbol: 'MSFT' } })) as { structuredContent: any; isError?: boolean };
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent.rows).toEqual([{ symbol: 'MSFT', price: 410, as_of: expect.any(String) }]);
    } finally {
      await client.close();
    }
  });

  it('arguments stay data: quotes, semicolons and comments in a value match nothing and run nothing', async () => {
    const before = await db.database.query('SELECT count(*)::int AS n FROM sample_stock_quotes');
    for (const symbol of ["AAPL' OR '1'='1", 'AAPL; DROP TABLE tools; --', "x'); delete from sample_stock_quotes; --", '$1']) {
      const { status, body } = await call('stock_price_sql', { symbol });
      expect(status).toBe(200);
      expect(body.structuredContent.rows).toEqual([]);
    }
    const count = await db.database.query('SELECT count(*)::int AS n FROM sample_stock_quotes');
    expect(count.rows[0]!.n).toBe(before.rows[0]!.n);
    expect((await call('stock_price_sql', { symbol: 'AAPL' })).body.structuredContent.rowCount).toBe(1);
  });

  it('a :name that is not an input property is a 400 at write time; so is a second statement', async () => {
    const unknown = await register({
      name: 'bad_param',
      description: 'x',
      handler: 'sql',
      inputSchema: SYMBOL_SCHEMA,
      config: { source: 'samples', statement: 'select * from sample_stock_quotes where symbol = :ticker' },
    });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error.details)).toMatch(/parameter :ticker has no property of that name/);
    const two = await register({
      name: 'two_statements',
      description: 'x',
      handler: 'sql',
      inputSchema: SYMBOL_SCHEMA,
      config: { source: 'samples', statement: 'select :symbol; delete from tools' },
    });
    expect(two.status).toBe(400);
    expect(JSON.stringify(two.body.error.details)).toMatch(/more than one statement/);
  });

  it('what the database refuses is an isError result with the SQLSTATE: a denied table, a division by zero', async () => {
    await expectCreated({
      name: 'peek_tools',
      description: 'Not allowed on samples',
      handler: 'sql',
      inputSchema: { type: 'object', properties: {} },
      config: { source: 'samples', statement: 'select name from tools' },
    });
    const denied = await call('peek_tools', {});
    expect(denied.status).toBe(200);
    expect(denied.body.isError).toBe(true);
    expect(denied.body.content[0].text).toMatch(/^SQL error 42501: permission denied for table tools/);
    await expectCreated({
      name: 'divide',
      description: 'x / y',
      handler: 'sql',
      inputSchema: { type: 'object', properties: { x: { type: 'integer' }, y: { type: 'integer' } } },
      config: { source: 'samples', statement: 'select :x::int / :y::int as q' },
    });
    expect((await call('divide', { x: 6, y: 3 })).body.structuredContent.rows).toEqual([{ q: 2 }]);
    const zero = await call('divide', { x: 1, y: 0 });
    expect(zero.body.isError).toBe(true);
    expect(zero.body.content[0].text).toMatch(/^SQL error 22012: division by zero/);
    const client = await connectModern(base);
    try {
      const result = (await client.callTool({ name: 'divide', arguments: { x: 1, y: 0 } })) as { isError?: boolean; content: { text: string }[] };
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toMatch(/22012/);
    } finally {
      await client.close();
    }
  });

  it('on samples a statement cannot take the role back: set_config and SQL given as text are refused, and the rows stay', async () => {
    for (const [name, statement] of [
      ['samples_role_back', "select set_config('role', 'postgres', true) as r, (select count(*) from tools) as n"],
      ['samples_query_text', "select query_to_xml('delete from sample_stock_quotes returning 1', true, true, '') as x"],
      ['samples_catalog', 'select rolname from pg_catalog.pg_authid'],
    ] as const) {
      await expectCreated({
        name,
        description: 'Hostile on samples',
        handler: 'sql',
        inputSchema: { type: 'object', properties: {} },
        config: { source: 'samples', statement },
      });
      const refused = await call(name, {});
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toMatch(/on the built-in samples source a statement may only read the sample tables: SELECT refused/);
    }
    await expectCreated({
      name: 'samples_count',
      description: 'Quotes left',
      handler: 'sql',
      inputSchema: { type: 'object', properties: {} },
      config: { source: 'samples', statement: 'select count(*)::int as n from sample_stock_quotes' },
    });
    expect((await call('samples_count', {})).body.structuredContent.rows[0].n).toBeGreaterThan(0);
  });

  it('identifiers come only from the allow-list, quoted; anything else is refused before the database sees it', async () => {
    await expectCreated({
      name: 'count_rows',
      description: 'Rows of a sample table',
      handler: 'sql',
      inputSchema: { type: 'object', properties: { table: { type: 'string', enum: ['sample_stock_quotes', 'sample_weather'] } }, required: ['table'] },
      config: { source: 'samples', statement: 'select count(*)::int as n from {{table}}', identifiers: { table: ['sample_stock_quotes', 'sample_weather'] } },
    });
    const quotes = await db.database.query('SELECT count(*)::int AS n FROM sample_stock_quotes');
    expect((await call('count_rows', { table: 'sample_stock_quotes' })).body.structuredContent.rows).toEqual([{ n: quotes.rows[0]!.n }]);
    expect((await call('count_rows', { table: 'tools' })).status).toBe(400);
    // Without an enum in the schema the kind's own allow-list refuses.
    await expectCreated({
      name: 'count_rows_loose',
      description: 'Rows of a sample table',
      handler: 'sql',
      inputSchema: { type: 'object', properties: { table: { type: 'string' } }, required: ['table'] },
      config: { source: 'samples', statement: 'select count(*)::int as n from {{table}}', identifiers: { table: ['sample_weather'] } },
    });
    const refused = await call('count_rows_loose', { table: 'sample_weather"; drop table tools; --' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/must be one of "sample_weather"/);
    const noList = await register({
      name: 'no_list',
      description: 'x',
      handler: 'sql',
      inputSchema: { type: 'object', properties: { table: { type: 'string' } } },
      config: { source: 'samples', statement: 'select * from {{table}}' },
    });
    expect(noList.status).toBe(400);
  });

  it('write: true on the read-only samples source: the tool is listed unavailable with the reason', async () => {
    const created = await register({
      name: 'write_samples',
      description: 'x',
      handler: 'sql',
      inputSchema: { type: 'object', properties: {} },
      config: { source: 'samples', statement: "delete from sample_stock_quotes where symbol = 'AAPL'", write: true },
    });
    expect(created.status).toBe(201);
    expect(created.body.available).toBe(false);
    expect(created.body.reason).toMatch(/write: true.*"samples" is read_only/);
    const unknownSource = await register({
      name: 'nowhere',
      description: 'x',
      handler: 'sql',
      inputSchema: { type: 'object', properties: {} },
      config: { source: 'nowhere', statement: 'select 1' },
    });
    expect(unknownSource.body.available).toBe(false);
    expect(unknownSource.body.reason).toMatch(/no data source "nowhere"/);
  });

  it.runIf(backend === 'postgres')(
    'an outside read_write source: READ ONLY unless write: true, row limit, settings for RLS, slow statements logged',
    async () => {
      await expectCreated({
        name: 'orders_of',
        description: 'Orders of a customer',
        handler: 'sql',
        inputSchema: { type: 'object', properties: { customer: { type: 'string' } } },
        config: { source: 'shop', statement: 'select id, customer, total from orders where customer = :customer or :customer is null order by id' },
      });
      const all = await call('orders_of', {});
      expect(all.body.structuredContent).toMatchObject({ rowCount: 2, truncated: true });
      expect(all.body.structuredContent.columns).toEqual([
        { name: 'id', type: 'int4' },
        { name: 'customer', type: 'text' },
        { name: 'total', type: 'numeric' },
      ]);
      await expectCreated({
        name: 'add_order_ro',
        description: 'Not marked write',
        handler: 'sql',
        inputSchema: { type: 'object', properties: { customer: { type: 'string' } } },
        config: { source: 'shop', statement: 'insert into orders (customer, total) values (:customer, 1) returning id' },
      });
      const refused = await call('add_order_ro', { customer: 'carol' });
      expect(refused.body.isError).toBe(true);
      expect(refused.body.content[0].text).toMatch(/^SQL error 25006/);
      await expectCreated({
        name: 'add_order',
        description: 'Adds an order',
        handler: 'sql',
        inputSchema: { type: 'object', properties: { customer: { type: 'string' } } },
        config: { source: 'shop', statement: 'insert into orders (customer, total) values (:customer, 1) returning id, customer', write: true },
      });
      const added = await call('add_order', { customer: 'carol' });
      expect(added.body.structuredContent).toMatchObject({ rowCount: 1, rows: [{ customer: 'carol' }] });
      // The settings a row-level-security policy can read.
      await expectCreated({
        name: 'who_am_i',
        description: 'The call settings',
        handler: 'sql',
        inputSchema: { type: 'object', properties: {} },
        config: {
          source: 'shop',
          statement:
            "select current_setting('toolport.server') as server, current_setting('toolport.tool') as tool, current_setting('toolport.caller', true) as caller, current_setting('transaction_read_only') as ro",
        },
      });
      expect((await call('who_am_i', {})).body.structuredContent.rows).toEqual([{ server: 'utility', tool: 'who_am_i', caller: 'local', ro: 'on' }]);
      await expectCreated({
        name: 'slow',
        description: 'Sleeps',
        handler: 'sql',
        inputSchema: { type: 'object', properties: { secret_arg: { type: 'string' } } },
        config: { source: 'shop', statement: 'select pg_sleep(0.2), :secret_arg::text as v' },
      });
      await call('slow', { secret_arg: 'do-not-log-me' });
      const slow = logs.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'slow sql statement' && entry.tool === 'slow');
      expect(slow).toMatchObject({ level: 'warn', tool: 'slow', source: 'shop', server: 'utility' });
      expect(slow.durationMs).toBeGreaterThanOrEqual(150);
      expect(logs.join('\n')).not.toContain('do-not-log-me');
    },
  );

  it.runIf(backend === 'postgres')('a row-level-security policy on toolport.tool decides which rows a tool sees', async () => {
    const admin = postgres(target!.url, { max: 1, onnotice: () => {} });
    const role = `tp_rls_${process.pid}`;
    await admin.unsafe(`
      ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
      CREATE POLICY by_tool ON orders FOR SELECT TO ${role} USING (customer = split_part(current_setting('toolport.tool', true), '_', 2));`);
    await admin.end();
    // shop_rls connects as a role that is not the owner, so the policy applies: each tool sees its customer's rows.
    for (const name of ['orders_alice', 'orders_bob', 'orders_nobody']) {
      await expectCreated({
        name,
        description: `Orders the policy lets ${name} see`,
        handler: 'sql',
        inputSchema: { type: 'object', properties: {} },
        config: { source: 'shop_rls', statement: 'select customer, total from orders order by id' },
      });
    }
    expect((await call('orders_alice', {})).body.structuredContent.rows).toEqual([
      { customer: 'alice', total: '10.00' },
      { customer: 'alice', total: '20.00' },
    ]);
    expect((await call('orders_bob', {})).body.structuredContent.rows).toEqual([{ customer: 'bob', total: '5.00' }]);
    expect((await call('orders_nobody', {})).body.structuredContent.rowCount).toBe(0);
  });
});
