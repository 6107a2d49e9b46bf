// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { createServer } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { classify, isConnectionError } from '../../src/providers/data-sources/errors.ts';
import { DataSources, SAMPLES_ROLE } from '../../src/providers/data-sources/index.ts';
import { backoffMs, DEFAULT_RETRY } from '../../src/providers/data-sources/retry.ts';
import { settingsStatement } from '../../src/providers/data-sources/settings.ts';
import {
  type DataSourceDefinition,
  DataSourceUnavailableError,
  SAMPLES_SOURCE_ID,
  SqlStatementError,
  type TransactionOptions,
} from '../../src/providers/data-sources/types.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { backends, createPostgresDatabase, openTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/database.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

// Data sources on real databases: external sources on PostgreSQL (a database of this file's own, reached through
// `${secret:…}` URLs), the built-in `samples` source on both backends.

const READ: TransactionOptions = { readOnly: true, settings: {} };
const WRITE: TransactionOptions = { readOnly: false, settings: {} };

function source(id: string, url: string, extra: Partial<DataSourceDefinition> = {}): DataSourceDefinition {
  return {
    id,
    description: id,
    kind: 'postgres',
    url,
    access: 'read_only',
    poolSize: 3,
    statementTimeoutMs: 5000,
    rowLimit: 1000,
    enabled: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const withUser = (url: string, user: string, password?: string) => {
  const parsed = new URL(url);
  parsed.username = user;
  if (password !== undefined) parsed.password = password;
  return parsed.toString();
};

describe('data source errors, backoff and settings', () => {
  const same = (text: string) => text.replace('hunter2', '[redacted]');

  it('tells connection failures from statement errors by code', () => {
    for (const code of ['ECONNREFUSED', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', '08006', '57P01', '53300', '28P01', '3D000']) {
      expect(isConnectionError({ code }), code).toBe(true);
      expect(classify({ code, message: 'x hunter2' }, 's', same), code).toBeInstanceOf(DataSourceUnavailableError);
    }
    const statement = classify({ code: '42P01', message: 'relation "hunter2" does not exist', position: '15', hint: 'h', detail: 'd' }, 's', same);
    expect(statement).toBeInstanceOf(SqlStatementError);
    expect(statement).toMatchObject({ sqlstate: '42P01', message: 'relation "[redacted]" does not exist', position: 15, hint: 'h', detail: 'd' });
    const bug = new TypeError('oops');
    expect(classify(bug, 's', same)).toBe(bug);
  });

  it('backoff is jittered within an exponentially growing, capped window', () => {
    expect(backoffMs(1, DEFAULT_RETRY, () => 1)).toBe(50);
    expect(backoffMs(2, DEFAULT_RETRY, () => 1)).toBe(100);
    expect(backoffMs(5, DEFAULT_RETRY, () => 1)).toBe(400);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0)).toBe(0);
  });

  it('settings are one set_config statement with bound values; bad names are refused', () => {
    expect(settingsStatement(1500, { 'toolport.caller': "o'brien" })).toEqual({
      text: 'SELECT pg_catalog.set_config($1, $2, true), pg_catalog.set_config($3, $4, true)',
      params: ['statement_timeout', '1500', 'toolport.caller', "o'brien"],
    });
    expect(() => settingsStatement(1, { "x'; drop": 'v' })).toThrow(/not a valid name/);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('data sources on PostgreSQL', () => {
  const PASSWORD = 'pw-S3cr3t-never-shown';
  const secrets: Record<string, string> = {};
  let target: { url: string; drop: () => Promise<void> };
  let sources: DataSources;
  let proxy: TcpProxy;

  beforeAll(async () => {
    target = await createPostgresDatabase();
    const admin = postgres(target.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`
      CREATE TYPE mood AS ENUM ('ok', 'meh');
      CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2), tags jsonb, at timestamptz DEFAULT now(), m mood DEFAULT 'ok', raw bytea, big int8);
      INSERT INTO items (id, name, price, tags, raw, big) SELECT g, 'item ' || g, g * 1.5, jsonb_build_object('g', g), '\\x0102', 9007199254740993 FROM generate_series(1, 50) g;
      CREATE TABLE log (id serial PRIMARY KEY, note text);`);
    await admin.end();
    const url = new URL(target.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    const viaProxy = new URL(target.url);
    viaProxy.port = String(proxy.port);
    secrets.MAIN = target.url;
    secrets.PROXIED = viaProxy.toString();
    secrets.DOWN = `postgres://toolport:${PASSWORD}@127.0.0.1:${await closedPort()}/nowhere`;
    secrets.BAD_USER = withUser(target.url, 'no_such_user_x', PASSWORD);
    sources = new DataSources({ secret: (name) => secrets[name], logger: silentLogger, retry: { attempts: 6, baseDelayMs: 60, maxDelayMs: 200 } });
    sources.replace([
      source('main', '${secret:MAIN}'),
      source('rw', '${secret:MAIN}', { access: 'read_write' }),
      source('proxied', '${secret:PROXIED}', { access: 'read_write' }),
      source('down', '${secret:DOWN}'),
      source('bad_user', '${secret:BAD_USER}'),
      source('unset', '${secret:NOT_SET_ANYWHERE}'),
      source('off', '${secret:MAIN}', { enabled: false }),
    ]);
  });
  afterAll(async () => {
    await sources?.close();
    await proxy?.close();
    await target?.drop();
  });

  it('runs a statement with bound parameters and reports columns by type name, the command and the row count', async () => {
    const result = await sources.transaction('main', READ, (session) =>
      session.query('SELECT id, name, price, tags, at, m, raw, big FROM items WHERE id = $1 OR name = $2 ORDER BY id', [3, 'item 4']),
    );
    expect(result.command).toBe('SELECT');
    expect(result.rowCount).toBe(2);
    expect(result.truncated).toBe(false);
    expect(result.columns).toEqual([
      { name: 'id', type: 'int4' },
      { name: 'name', type: 'text' },
      { name: 'price', type: 'numeric' },
      { name: 'tags', type: 'jsonb' },
      { name: 'at', type: 'timestamptz' },
      { name: 'm', type: 'mood' },
      { name: 'raw', type: 'bytea' },
      { name: 'big', type: 'int8' },
    ]);
    expect(result.rows[0]).toMatchObject({ id: 3, name: 'item 3', price: '4.50', tags: { g: 3 }, m: 'ok', raw: '\\x0102', big: '9007199254740993' });
    expect(typeof result.rows[0]!.at).toBe('string');
    // The rows are plain JSON.
    expect(JSON.parse(JSON.stringify(result.rows))).toEqual(result.rows);
  });

  it('a value that looks like SQL stays a value', async () => {
    const result = await sources.transaction('main', READ, (session) =>
      session.query('SELECT count(*)::int AS n FROM items WHERE name = $1', ["x' OR '1'='1"]),
    );
    expect(result.rows).toEqual([{ n: 0 }]);
  });

  it('sets statement_timeout and the toolport.* settings locally, from bound values', async () => {
    const settings = { 'toolport.server': 'app1', 'toolport.tool': 'find', 'toolport.caller': "key:o'brien; DROP TABLE items" };
    const result = await sources.transaction('main', { readOnly: true, settings, statementTimeoutMs: 1234 }, (session) =>
      session.query(
        "SELECT current_setting('statement_timeout') AS timeout, current_setting('toolport.server') AS server, current_setting('toolport.tool') AS tool, current_setting('toolport.caller', true) AS caller",
      ),
    );
    expect(result.rows[0]).toEqual({ timeout: '1234ms', server: 'app1', tool: 'find', caller: settings['toolport.caller'] });
    // SET LOCAL: the next transaction on the same pool does not see them.
    const after = await sources.transaction('main', READ, (session) => session.query("SELECT current_setting('toolport.caller', true) AS caller"));
    expect([null, '']).toContain(after.rows[0]!.caller);
  });

  it('READ ONLY is enforced by the database: an INSERT fails with 25006 on a read_only source whatever is asked, and when read only is asked', async () => {
    for (const [id, options] of [
      ['main', WRITE],
      ['rw', READ],
    ] as const) {
      const error = await rejection(sources.transaction(id, options, (session) => session.query("INSERT INTO log (note) VALUES ('x')")));
      expect(error).toBeInstanceOf(SqlStatementError);
      expect(error.sqlstate).toBe('25006');
      expect(error.message).toMatch(/read-only transaction/);
    }
    const written = await sources.transaction('rw', WRITE, (session) => session.query("INSERT INTO log (note) VALUES ('kept') RETURNING id"));
    expect(written.command).toBe('INSERT');
    expect(written.rowCount).toBe(1);
    const count = await sources.transaction('main', READ, (session) => session.query("SELECT count(*)::int AS n FROM log WHERE note = 'kept'"));
    expect(count.rows[0]!.n).toBe(1);
  });

  it('rolls back when the function throws; a multi-statement string is refused even without parameters', async () => {
    await rejection(
      sources.transaction('rw', WRITE, async (session) => {
        await session.query("INSERT INTO log (note) VALUES ('rolled back')");
        throw new Error('changed my mind');
      }),
    );
    const count = await sources.transaction('main', READ, (session) => session.query("SELECT count(*)::int AS n FROM log WHERE note = 'rolled back'"));
    expect(count.rows[0]!.n).toBe(0);
    const error = await rejection(sources.transaction('rw', WRITE, (session) => session.query("SELECT 1; COMMIT; INSERT INTO log (note) VALUES ('escaped')")));
    expect(error).toBeInstanceOf(SqlStatementError);
    expect(error.sqlstate).toBe('42601');
    const escaped = await sources.transaction('main', READ, (session) => session.query("SELECT count(*)::int AS n FROM log WHERE note = 'escaped'"));
    expect(escaped.rows[0]!.n).toBe(0);
  });

  it('fetches at most maxRows + 1 rows: truncated says so; the byte limit stops early too', async () => {
    const limited = await sources.transaction('main', READ, (session) => session.query('SELECT id FROM items ORDER BY id', [], { maxRows: 5, maxBytes: 1e6 }));
    expect(limited.rows.map((row) => row.id)).toEqual([1, 2, 3, 4, 5]);
    expect(limited).toMatchObject({ rowCount: 5, truncated: true, command: 'SELECT', columns: [{ name: 'id', type: 'int4' }] });
    const exact = await sources.transaction('main', READ, (session) => session.query('SELECT id FROM items WHERE id <= 5', [], { maxRows: 5, maxBytes: 1e6 }));
    expect(exact).toMatchObject({ rowCount: 5, truncated: false });
    const empty = await sources.transaction('main', READ, (session) =>
      session.query('SELECT id, name FROM items WHERE id < 0', [], { maxRows: 5, maxBytes: 1e6 }),
    );
    expect(empty).toMatchObject({ rowCount: 0, truncated: false, rows: [], columns: [{ name: 'id' }, { name: 'name' }] });
    const bytes = await sources.transaction('main', READ, (session) =>
      session.query('SELECT id, name FROM items ORDER BY id', [], { maxRows: 1000, maxBytes: 100 }),
    );
    expect(bytes.truncated).toBe(true);
    expect(bytes.rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(bytes.rows).length).toBeLessThanOrEqual(100);
    const explain = await sources.transaction('main', READ, (session) =>
      session.query('EXPLAIN (VERBOSE) SELECT * FROM items ORDER BY name', [], { maxRows: 1, maxBytes: 1e6 }),
    );
    expect(explain.command).toBe('EXPLAIN');
    expect(explain.rows.length).toBe(1);
    expect(explain.truncated).toBe(true);
  });

  it('INSERT … RETURNING under limits: every row is written, only the first rows come back', async () => {
    const result = await sources.transaction('rw', WRITE, (session) =>
      session.query("INSERT INTO log (note) SELECT 'bulk ' || g FROM generate_series(1, 20) g RETURNING id, note", [], { maxRows: 3, maxBytes: 1e6 }),
    );
    expect(result).toMatchObject({ rowCount: 3, truncated: true, command: 'INSERT' });
    const count = await sources.transaction('main', READ, (session) => session.query("SELECT count(*)::int AS n FROM log WHERE note LIKE 'bulk %'"));
    expect(count.rows[0]!.n).toBe(20);
    const update = await sources.transaction('rw', WRITE, (session) =>
      session.query("UPDATE log SET note = note WHERE note LIKE 'bulk %'", [], { maxRows: 3, maxBytes: 1e6 }),
    );
    expect(update).toMatchObject({ command: 'UPDATE', rowCount: 20, rows: [], columns: [], truncated: false });
  });

  it('what the database refuses is a SqlStatementError with SQLSTATE, message, position and hint', async () => {
    const syntax = await rejection(sources.transaction('main', READ, (session) => session.query('SELEC id FROM items')));
    expect(syntax).toBeInstanceOf(SqlStatementError);
    expect(syntax).toMatchObject({ sqlstate: '42601', position: 1 });
    const missing = await rejection(sources.transaction('main', READ, (session) => session.query('SELECT nope FROM items')));
    expect(missing).toMatchObject({ sqlstate: '42703' });
    const timeout = await rejection(sources.transaction('main', { ...READ, statementTimeoutMs: 50 }, (session) => session.query('SELECT pg_sleep(2)')));
    expect(timeout).toMatchObject({ sqlstate: '57014' });
    // The pool is fine after errors.
    const ok = await sources.transaction('main', READ, (session) => session.query('SELECT 1 AS one'));
    expect(ok.rows).toEqual([{ one: 1 }]);
  });

  it('an aborted call cancels its running statement', async () => {
    const controller = new AbortController();
    const reason = new Error('call timed out');
    setTimeout(() => controller.abort(reason), 100);
    const started = performance.now();
    const error = await rejection(sources.transaction('main', { ...READ, signal: controller.signal }, (session) => session.query('SELECT pg_sleep(3)')));
    expect(error).toBe(reason);
    expect(performance.now() - started).toBeLessThan(1500);
    const ok = await sources.transaction('main', READ, (session) => session.query('SELECT 1 AS one'));
    expect(ok.rows).toEqual([{ one: 1 }]);
  });

  it('a source that is down fails fast with unavailable naming it, then at once while known down; other sources keep working', async () => {
    const started = performance.now();
    const [down, other] = await Promise.allSettled([
      sources.transaction('down', READ, (session) => session.query('SELECT 1')),
      sources.transaction('main', READ, (session) => session.query('SELECT 2 AS two')),
    ]);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(other).toMatchObject({ status: 'fulfilled', value: { rows: [{ two: 2 }] } });
    const error = (down as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(DataSourceUnavailableError);
    expect(error.sourceId).toBe('down');
    expect(error.message).toMatch(/^data source "down" is unavailable: could not connect .*ECONNREFUSED 127\.0\.0\.1:\d+/);
    expect(error.message).not.toContain(PASSWORD);
    expect(sources.unavailableReason('down')).toMatch(/^down: could not connect/);
    const again = performance.now();
    const second = await rejection(sources.transaction('down', READ, (session) => session.query('SELECT 1')));
    expect(second).toBeInstanceOf(DataSourceUnavailableError);
    expect(performance.now() - again).toBeLessThan(50);
  });

  it('connection errors of read-only transactions are retried with backoff; read-write ones are not', async () => {
    await proxy.cut();
    setTimeout(() => void proxy.restore(), 80);
    const result = await sources.transaction('proxied', READ, (session) => session.query('SELECT 3 AS three'));
    expect(result.rows).toEqual([{ three: 3 }]);
    await proxy.cut();
    const error = await rejection(sources.transaction('proxied', WRITE, (session) => session.query('SELECT 4')));
    expect(error).toBeInstanceOf(DataSourceUnavailableError);
    await proxy.restore();
    // Wait out the "known down" window, then it works again.
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const back = await sources.transaction('proxied', WRITE, (session) => session.query('SELECT 5 AS five'));
    expect(back.rows).toEqual([{ five: 5 }]);
  });

  it('refused credentials are unavailable, never showing the password; unset secret, disabled and unknown sources say why', async () => {
    const auth = await rejection(sources.transaction('bad_user', READ, (session) => session.query('SELECT 1')));
    expect(auth).toBeInstanceOf(DataSourceUnavailableError);
    expect(auth.message).toMatch(/refused the credentials/);
    expect(auth.message).not.toContain(PASSWORD);
    expect(JSON.stringify(auth)).not.toContain(PASSWORD);
    const unset = await rejection(sources.transaction('unset', READ, (session) => session.query('SELECT 1')));
    expect(unset).toBeInstanceOf(DataSourceUnavailableError);
    expect(unset.message).toBe('data source "unset" is unavailable: secret NOT_SET_ANYWHERE is not set (TOOLPORT_SECRET_NOT_SET_ANYWHERE)');
    expect(sources.unavailableReason('unset')).toBe('secret NOT_SET_ANYWHERE is not set (TOOLPORT_SECRET_NOT_SET_ANYWHERE)');
    expect(sources.unavailableReason('off')).toBe('data source "off" is disabled');
    expect(sources.unavailableReason('nope')).toBe('no data source "nope" is defined');
    const unknown = await rejection(sources.transaction('nope', READ, (session) => session.query('SELECT 1')));
    expect(unknown.message).toBe('data source "nope" is unavailable: no data source "nope" is defined');
    expect(sources.unavailableReason('main')).toBeUndefined();
  });

  it('a rotated secret reopens the pool; replace() drops what disappeared; close() ends every pool', async () => {
    const rotating: Record<string, string> = { ROT: target.url };
    const own = new DataSources({ secret: (name) => rotating[name] ?? secrets[name], logger: silentLogger });
    own.replace([source('a', '${secret:ROT}'), source('b', '${secret:MAIN}')]);
    const name = target.url.split('/').pop()!;
    const open = async () => {
      const admin = postgres(TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
      const [row] = await admin.unsafe("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'toolport'", [name]);
      await admin.end();
      return row!.n as number;
    };
    const before = await open();
    const pid = async () => (await own.transaction('a', READ, (session) => session.query('SELECT pg_backend_pid() AS pid'))).rows[0]!.pid;
    const first = await pid();
    await own.transaction('b', READ, (session) => session.query('SELECT 1'));
    expect(await open()).toBe(before + 2);
    own.replace([source('a', '${secret:ROT}')]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await open()).toBe(before + 1);
    // The secret now holds another URL: the next call closes the old pool and opens a new one.
    expect(await pid()).toBe(first);
    rotating.ROT = `${target.url}?sslmode=disable`;
    expect(await pid()).not.toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await open()).toBe(before + 1);
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await open()).toBe(before);
    expect(own.unavailableReason('a')).toMatch(/closed/);
    await expect(own.transaction('a', READ, (session) => session.query('SELECT 1'))).rejects.toBeInstanceOf(DataSourceUnavailableError);
  });
});

describe.each(backends)('the built-in samples source (%s)', (backend) => {
  let db: TestDatabase;
  let sources: DataSources;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await db.database.query(
      "INSERT INTO sample_stock_quotes (symbol, company_name, currency, price, as_of, source) VALUES ('AAPL', 'Apple', 'USD', 190.5, '2026-01-02', 'test'), ('MSFT', 'Microsoft', 'USD', 410, '2026-01-02', 'test') ON CONFLICT DO NOTHING",
    );
    sources = new DataSources({ secret: () => undefined, logger: silentLogger });
    sources.bindOwnDatabase(db.database);
  });
  afterAll(async () => {
    await sources?.close();
    await db?.dispose();
  });

  it('reads the sample tables with bound parameters, as the samples role, read only, with the settings', async () => {
    const result = await sources.transaction(SAMPLES_SOURCE_ID, { readOnly: false, settings: { 'toolport.caller': 'me' } }, async (session) => {
      const quote = await session.query('SELECT symbol, price, as_of FROM sample_stock_quotes WHERE symbol = $1', ['AAPL'], { maxRows: 10, maxBytes: 1e6 });
      const who = await session.query(
        "SELECT current_user AS who, current_setting('transaction_read_only') AS ro, current_setting('toolport.caller', true) AS caller, current_setting('statement_timeout') AS timeout",
      );
      return { quote, who };
    });
    expect(result.quote.rows).toEqual([{ symbol: 'AAPL', price: 190.5, as_of: expect.stringMatching(/^2026-01-02/) }]);
    expect(result.quote.columns).toEqual([
      { name: 'symbol', type: 'text' },
      { name: 'price', type: 'float8' },
      { name: 'as_of', type: 'date' },
    ]);
    expect(result.quote).toMatchObject({ command: 'SELECT', rowCount: 1, truncated: false });
    expect(result.who.rows[0]).toEqual({ who: SAMPLES_ROLE, ro: 'on', caller: 'me', timeout: '5s' });
  });

  it('limits through a cursor: at most maxRows, truncated', async () => {
    const result = await sources.transaction(SAMPLES_SOURCE_ID, READ, (session) =>
      session.query('SELECT symbol FROM sample_stock_quotes ORDER BY symbol', [], { maxRows: 1, maxBytes: 1e6 }),
    );
    expect(result).toMatchObject({ rows: [{ symbol: 'AAPL' }], rowCount: 1, truncated: true });
  });

  it('other tables are denied by the database (42501); writes are refused; switching the role back is undone before each statement', async () => {
    const denied = await rejection(sources.transaction(SAMPLES_SOURCE_ID, READ, (session) => session.query('SELECT * FROM tools')));
    expect(denied).toBeInstanceOf(SqlStatementError);
    expect(denied.sqlstate).toBe('42501');
    const write = await rejection(
      sources.transaction(SAMPLES_SOURCE_ID, WRITE, (session) => session.query("DELETE FROM sample_stock_quotes WHERE symbol = 'AAPL'")),
    );
    expect(write).toBeInstanceOf(SqlStatementError);
    expect(['25006', '42501']).toContain(write.sqlstate);
    const reset = await rejection(
      sources.transaction(SAMPLES_SOURCE_ID, READ, async (session) => {
        await session.query('RESET ROLE');
        return session.query('SELECT count(*) FROM tools');
      }),
    );
    expect(reset).toMatchObject({ sqlstate: '42501' });
    const count = await db.database.query("SELECT count(*)::int AS n FROM sample_stock_quotes WHERE symbol = 'AAPL'");
    expect(count.rows[0]!.n).toBe(1);
  });

  it('Database.transaction (the primitive under samples): bound parameters, field type oids, one statement each, rollback on throw', async () => {
    const result = await db.database.transaction((tx) => tx.query('SELECT $1::int4 AS a, $2::text AS b', [7, 'x']));
    expect(result.rows).toEqual([{ a: 7, b: 'x' }]);
    expect(result.fields).toEqual([
      { name: 'a', typeId: 23 },
      { name: 'b', typeId: 25 },
    ]);
    expect(result.command).toBe('SELECT');
    await rejection(
      db.database.transaction(async (tx) => {
        await tx.query(
          "INSERT INTO sample_weather (location, latitude, longitude, temperature_c, conditions, as_of, source) VALUES ('Nowhere', 0, 0, 0, 'x', '2026-01-01', 't')",
        );
        throw new Error('undo');
      }),
    );
    const left = await db.database.query("SELECT count(*)::int AS n FROM sample_weather WHERE location = 'Nowhere'");
    expect(left.rows[0]!.n).toBe(0);
    const list = await rejection(db.database.transaction((tx) => tx.query('SELECT 1; SELECT 2')));
    expect(list.code).toBe('42601');
  });

  it('is unavailable until Toolport’s own database is bound', async () => {
    const unbound = new DataSources({ secret: () => undefined, logger: silentLogger });
    expect(unbound.unavailableReason(SAMPLES_SOURCE_ID)).toMatch(/not bound/);
    await expect(unbound.transaction(SAMPLES_SOURCE_ID, READ, (session) => session.query('SELECT 1'))).rejects.toBeInstanceOf(DataSourceUnavailableError);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('the samples role with a non-superuser on PostgreSQL', () => {
  const suffix = Math.random().toString(16).slice(2, 8);
  const creator = `tp_creator_${suffix}`;
  const plain = `tp_plain_${suffix}`;
  let db: TestDatabase;
  const opened: Database[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    await db.database.query(`CREATE ROLE ${creator} LOGIN CREATEROLE; CREATE ROLE ${plain} LOGIN`);
  });
  afterAll(async () => {
    for (const database of opened) await database.close();
    await db?.dispose();
    const admin = postgres(TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP ROLE IF EXISTS ${creator}; DROP ROLE IF EXISTS ${plain}`);
    await admin.end();
  });

  const openAs = async (user: string) => {
    // The user owns the sample tables (as Toolport's user does: it ran the migrations), so it may grant SELECT.
    await db.database.query(
      `ALTER TABLE sample_stock_quotes OWNER TO ${user}; ALTER TABLE sample_financial_news OWNER TO ${user}; ALTER TABLE sample_weather OWNER TO ${user}`,
    );
    const database = await openDatabase({ databaseUrl: withUser(db.url!, user), dataDir: '', poolSize: 2 });
    opened.push(database);
    const sources = new DataSources({ secret: () => undefined, logger: silentLogger });
    sources.bindOwnDatabase(database);
    return sources;
  };

  it('a user with CREATEROLE makes (or joins) the role; tools stay denied', async () => {
    const sources = await openAs(creator);
    const result = await sources.transaction(SAMPLES_SOURCE_ID, READ, (session) =>
      session.query('SELECT current_user AS who, count(*)::int AS n FROM sample_weather'),
    );
    expect(result.rows[0]!.who).toBe(SAMPLES_ROLE);
    const denied = await rejection(sources.transaction(SAMPLES_SOURCE_ID, READ, (session) => session.query('SELECT * FROM tools')));
    expect(denied).toMatchObject({ sqlstate: '42501' });
    await sources.close();
  });

  it('a user that may not create or grant roles: the source is unavailable with the reason and the SQL to run', async () => {
    const sources = await openAs(plain);
    const error = await rejection(sources.transaction(SAMPLES_SOURCE_ID, READ, (session) => session.query('SELECT 1')));
    expect(error).toBeInstanceOf(DataSourceUnavailableError);
    expect(error.message).toMatch(/the connecting role may not (create roles|grant toolport_samples_reader to itself)/);
    expect(error.message).toContain(`CREATE ROLE ${SAMPLES_ROLE} NOLOGIN`);
    expect(sources.unavailableReason(SAMPLES_SOURCE_ID)).toMatch(/may not/);
    await sources.close();
  });
});
