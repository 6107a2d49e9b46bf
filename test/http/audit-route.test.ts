import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditStore } from '../../src/db/audit-store.ts';
import type { RestEnv } from '../../src/http/env.ts';
import { credential, requireScope } from '../../src/http/middleware/credential.ts';
import { auditRoutes } from '../../src/http/routes/audit.ts';
import { digestArguments } from '../../src/observability/audit-entry.ts';
import { AuditLog } from '../../src/observability/audit-queue.ts';
import { AppError, errorBody } from '../../src/shared/errors.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { accessFor } from './access-support.ts';

/**
 * GET /audit on a Hono app of the test's own (behind the credential
 * middleware and the admin scope, as app.ts mounts it), served by a real
 * listener over both backends: filters, newest-first keyset pages, a 400
 * naming each bad parameter, and the admin guard (401).
 */

const TOKEN = 'audit-route-admin-token-0123456789';
const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const MINUTE = 60_000;

interface Served {
  url: string;
  close(): Promise<void>;
}

function serveApp(app: Hono<RestEnv>, hostname: string): Promise<Served> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname }, (info: AddressInfo) => {
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

/** The route mounted as app.ts would: who is calling first, one error envelope. */
function appWith(routes: Hono<RestEnv>, adminToken: string | undefined): Hono<RestEnv> {
  const app = new Hono<RestEnv>();
  app.use('*', credential(accessFor({ policy: 'local-open', adminToken }), { server: 'test' }));
  app.route('/audit', routes);
  app.onError((thrown, c) => {
    const error = thrown instanceof AppError ? thrown : new AppError('internal', 'Internal error; see the server log');
    return c.json(errorBody(error, 'test'), error.status as 400);
  });
  return app;
}

async function get(url: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const item of list ?? []) if (item.family === 'IPv4' && !item.internal) return item.address;
  }
  return undefined;
}

describe.each(backends)('GET /audit (%s)', (backend) => {
  let db: TestDatabase;
  let audit: AuditLog;
  let served: Served;
  let base: string;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    const store = new AuditStore(db.database);
    audit = new AuditLog({ store, logger: silentLogger, storeArguments: false, retentionDays: 3650 });
    // 30 events, one a minute back from NOW (the newest is i = 0), over two servers, three actors and three actions.
    for (let i = 0; i < 30; i++) {
      audit.record({
        action: i % 10 === 0 ? 'update' : 'call',
        actor: i % 3 === 0 ? 'key:aaa' : i % 3 === 1 ? 'key:bbb' : 'admin-token',
        actorName: i % 3 === 0 ? 'ci-agent' : i % 3 === 1 ? 'reporter' : 'admin-token',
        requestId: `req-${i}`,
        serverId: i % 2 === 0 ? 'finance' : 'utility',
        tool: i % 2 === 0 ? 'get_stock_price' : 'get_time',
        outcome: i % 7 === 0 ? 'tool_error' : 'ok',
        durationMs: i,
        arguments: { n: i },
        at: new Date(NOW - i * MINUTE),
      });
    }
    // Three more in the same millisecond: pages must split ties by id without losing one.
    for (let i = 0; i < 3; i++)
      audit.record({ action: 'call', actor: 'local', serverId: 'utility', tool: 'tie', outcome: 'ok', requestId: `tie-${i}`, at: new Date(NOW - 5 * MINUTE) });
    served = await serveApp(
      appWith(auditRoutes({ reader: store, auth: requireScope('admin'), beforeRead: () => audit.flush(), now: () => NOW }), TOKEN),
      '127.0.0.1',
    );
    base = `${served.url}/audit`;
  });
  afterAll(async () => {
    await audit?.stop();
    await served?.close();
    await db?.dispose();
  });

  it('newest first, 100 by default, each entry with its digest and without arguments (not stored)', async () => {
    const { status, body } = await get(base);
    expect(status).toBe(200);
    expect(body.count).toBe(33);
    expect(body.nextCursor).toBeNull();
    const times = body.entries.map((entry: any) => Date.parse(entry.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(body.entries[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      at: new Date(NOW).toISOString(),
      requestId: 'req-0',
      actor: 'key:aaa',
      actorName: 'ci-agent',
      server: 'finance',
      tool: 'get_stock_price',
      action: 'update',
      outcome: 'tool_error',
      durationMs: 0,
      versionBefore: null,
      versionAfter: null,
      argumentsDigest: digestArguments({ n: 0 }),
      details: null,
    });
  });

  it('filters: server, tool, actor (exact and prefix*), action, outcome, since/until (ISO and durations), combined', async () => {
    const ids = async (query: string) => (await get(`${base}?${query}`)).body.entries.map((entry: any) => entry.requestId);
    expect(await ids('server=finance')).toEqual(Array.from({ length: 15 }, (_, k) => `req-${2 * k}`));
    expect((await ids('tool=tie')).sort()).toEqual(['tie-0', 'tie-1', 'tie-2']);
    expect(await ids('actor=key:bbb&server=utility')).toEqual(['req-1', 'req-7', 'req-13', 'req-19', 'req-25']);
    expect((await ids('actor=key:*')).length).toBe(20);
    expect(await ids('action=update')).toEqual(['req-0', 'req-10', 'req-20']);
    expect(await ids('outcome=tool_error')).toEqual(['req-0', 'req-7', 'req-14', 'req-21', 'req-28']);
    expect(await ids(`since=${new Date(NOW - 2 * MINUTE).toISOString()}`)).toEqual(['req-0', 'req-1', 'req-2']);
    expect(await ids('since=2m')).toEqual(['req-0', 'req-1', 'req-2']);
    expect(await ids(`since=30m&until=${encodeURIComponent('2026-12-02T11:32:30+00:00')}`)).toEqual(['req-28', 'req-29']);
    expect(await ids('until=2026-12-02T11:32:00&since=2026-12-01')).toEqual(['req-29']);
    expect(await ids('server=nobody')).toEqual([]);
  });

  it('keyset pages of limit=7 cover every row exactly once, ties included, even while new rows arrive', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await get(`${base}?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      expect(body.count).toBeLessThanOrEqual(7);
      seen.push(...body.entries.map((entry: any) => entry.requestId));
      cursor = body.nextCursor;
      // A newer event between pages must not shift the pages.
      if (pages === 1)
        audit.record({ action: 'call', actor: 'local', serverId: 'finance', tool: 'late', outcome: 'ok', requestId: 'late', at: new Date(NOW + MINUTE) });
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(33);
    expect(new Set(seen).size).toBe(33);
    expect(seen).not.toContain('late');
    // …and the next first page starts with it.
    expect((await get(`${base}?limit=1`)).body.entries[0].requestId).toBe('late');
  });

  it('rows written in SQL within one millisecond (microsecond times) page exactly too', async () => {
    await db.database.query(
      `INSERT INTO audit_log (at, actor, server_id, tool, action, outcome, request_id) VALUES
         ('2026-12-01 09:00:00.000300+00', 'sql:postgres', 'utility', 'micro', 'update', 'ok', 'm3'),
         ('2026-12-01 09:00:00.000100+00', 'sql:postgres', 'utility', 'micro', 'update', 'ok', 'm1'),
         ('2026-12-01 09:00:00.000200+00', 'sql:postgres', 'utility', 'micro', 'update', 'ok', 'm2')`,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const { body } = await get(`${base}?tool=micro&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...body.entries.map((entry: any) => entry.requestId));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['m3', 'm2', 'm1']);
  });

  it('a bad parameter is a 400 whose message and details name it', async () => {
    const cases: [string, string, RegExp][] = [
      ['limit=0', '/limit', /limit must be an integer from 1 to 1000/],
      ['limit=1001', '/limit', /limit must be at most 1000/],
      ['limit=ten', '/limit', /limit must be an integer/],
      ['since=yesterday', '/since', /since must be an ISO 8601 time/],
      ['until=2026-13-45T99:00:00Z', '/until', /until must be an ISO 8601 time/],
      ['cursor=bm90LWEtY3Vyc29y', '/cursor', /cursor is not a cursor this server issued/],
      ['server=has%20space', '/server', /server must be a server id/],
      ['action=DROP', '/action', /action must be an action/],
      ['severs=finance', '/severs', /severs is not a parameter of GET \/audit/],
      ['server=a&server=b', '/server', /server is given 2 times/],
      ['since=1h&until=2h', '/until', /until must be later than since/],
    ];
    for (const [query, path, message] of cases) {
      const { status, body } = await get(`${base}?${query}`);
      expect(status, query).toBe(400);
      expect(body.error.code, query).toBe('bad_request');
      expect(body.error.message, query).toMatch(message);
      expect(
        body.error.details.map((detail: any) => detail.path),
        query,
      ).toContain(path);
    }
  });

  it('admin only: 401 without a credential or with a wrong token', async () => {
    const none = await get(base, {});
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await get(base, { authorization: 'Bearer not-the-admin-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(none.text + wrong.text).not.toContain(TOKEN);
    expect(none.text).not.toContain('req-');
  });
});

const external = externalAddress();

describe.skipIf(!external)('GET /audit without an admin token, off loopback', () => {
  let db: TestDatabase;
  let served: Served;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    served = await serveApp(appWith(auditRoutes({ reader: new AuditStore(db.database), auth: requireScope('admin') }), undefined), '0.0.0.0');
  });
  afterAll(async () => {
    await served?.close();
    await db?.dispose();
  });

  it('a caller from a non-loopback address without a credential gets 401 (local-open is for loopback); a loopback caller is served', async () => {
    const port = new URL(served.url).port;
    const refused = await get(`http://${external}:${port}/audit`, {});
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect((await get(`http://127.0.0.1:${port}/audit`, {})).status).toBe(200);
  });
});
