import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToolport, type Toolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { databaseFailureReason, safeDatabaseReason } from '../../src/shared/database-reason.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { json } from '../support/toolport.ts';

/** What must never reach a client: SQL text, query parameters, the driver's own wording. */
const LEAKS = /select|insert|update|delete from|returning|params:|failed query|\$\d|registry_changes|"tools"/i;

describe('database failure reasons are built from codes, never from driver messages', () => {
  it('a thrown driver error: the code along the cause chain', () => {
    const drizzle = Object.assign(new Error('Failed query: insert into "tools" ("name") values ($1)\nparams: secret'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' }),
    });
    expect(databaseFailureReason(drizzle)).toBe('connection refused (ECONNREFUSED)');
    expect(databaseFailureReason(Object.assign(new Error('write CONNECTION_CLOSED db:5432'), { code: 'CONNECTION_CLOSED' }))).toBe(
      'connection closed (CONNECTION_CLOSED)',
    );
    expect(databaseFailureReason(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toMatch(
      /shutting down \(57P01\)/,
    );
    expect(databaseFailureReason(Object.assign(new Error('x'), { code: '08006' }))).toBe('connection failure (08006)');
    expect(databaseFailureReason(new Error('Failed query: select 1'))).toBe('the database did not answer');
  });

  it('a recorded message: only a known code or our own timeout survives', () => {
    expect(safeDatabaseReason('Failed query: select * from registry_changes where id > $1\nparams: 7')).toBe('the database did not answer');
    expect(safeDatabaseReason('connect ECONNREFUSED 127.0.0.1:5432')).toBe('connection refused (ECONNREFUSED)');
    expect(safeDatabaseReason('no answer within 2000 ms')).toBe('no answer within 2000 ms');
    expect(safeDatabaseReason(undefined)).toBe('the database did not answer');
    // Reasons already built here pass unchanged (they are recorded, then shown again).
    for (const reason of ['connection refused (ECONNREFUSED)', 'connection failure (08006)', 'database error (XX000)', 'the database did not answer']) {
      expect(safeDatabaseReason(reason)).toBe(reason);
    }
    expect(safeDatabaseReason('syntax error at or near "select" (42601)')).toBe('the database did not answer');
  });
});

if (!TEST_DATABASE_URL) console.warn('test/http/outage-messages: the outage part is skipped — set TEST_DATABASE_URL to a PostgreSQL server to run it');

describe.skipIf(!TEST_DATABASE_URL)('during an outage, 503s and /health say why without any SQL (PostgreSQL)', () => {
  let drop: () => Promise<void>;
  let proxy: TcpProxy;
  let toolport: Toolport;
  let utility: string;

  beforeAll(async () => {
    let url: string;
    ({ url, drop } = await createPostgresDatabase());
    const target = new URL(url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    toolport = await startToolport(
      loadConfig({ DATABASE_URL: viaProxy.toString(), TOOLPORT_SERVERS: 'utility:0', TOOLPORT_LOG_LEVEL: 'silent', TOOLPORT_SHUTDOWN_TIMEOUT_MS: '2000' }),
      { logger: silentLogger, sqlPort: false },
    );
    utility = toolport.listeners.get('utility')!.url;
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => {});
    await toolport?.stop();
    await proxy?.close();
    await drop?.();
  });

  it('writes get 503 with a reason such as "connection refused", never the failed query', async () => {
    await proxy.cut();
    const writes = [
      () =>
        fetch(`${utility}/tools`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x1', description: 'x', handler: 'get_time' }),
        }),
      () => fetch(`${utility}/tools/get_time`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x' }) }),
      () => fetch(`${utility}/tools/get_time`, { method: 'DELETE' }),
    ];
    // The first write meets the dropped connection itself; the later ones are refused fast from the recorded health.
    for (let round = 0; round < 2; round++) {
      for (const write of writes) {
        const response = await write();
        expect(response.status).toBe(503);
        const body = await json(response);
        expect(body.error.code).toBe('unavailable');
        expect(body.error.message).toMatch(/^The database is unreachable \([^)]+\)/);
        expect(body.error.message).not.toMatch(LEAKS);
      }
    }
    for (const path of ['/health', '/ready']) {
      const text = await (await fetch(`${utility}${path}`)).text();
      expect(JSON.parse(text).database.ok).toBe(false);
      expect(text).not.toMatch(LEAKS);
    }
    expect(toolport.runtime.status.view().database.ok).toBe(false);
  });
});
