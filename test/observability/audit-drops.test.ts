import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { within } from '../live/within.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { json, startTestToolport } from '../support/toolport.ts';

/**
 * The audit queue's drops as an operator sees them, on a whole Toolport
 * (test/observability/audit-log.test.ts covers the queue itself: full
 * queue, outage, stop): the database goes away, calls are still answered,
 * their entries cannot be written — and /health counts every one of them
 * as dropped once the queue gave up retrying (3 flushes), while the database
 * is still down. After it returns, new calls are written again.
 * PostgreSQL only: the connection is cut by a TCP proxy in between.
 */

describe.skipIf(!TEST_DATABASE_URL)('audit drops on /health while the database is down (postgres)', () => {
  it('every call is answered; its entry is counted in /health audit.dropped; later calls are written again', async () => {
    const created = await createPostgresDatabase();
    const target = new URL(created.url);
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const via = new URL(created.url);
    via.host = `127.0.0.1:${proxy.port}`;
    const database = await openDatabase({ databaseUrl: via.toString(), dataDir: '', poolSize: 3 });
    await migrate(database, via.toString());
    const app = await startTestToolport({ backend: 'postgres', database, url: via.toString(), dispose: async () => {} }, { TOOLPORT_SERVERS: 'utility:0' });
    const base = app.urls.utility!;
    const call = (id: string) =>
      fetch(`${base}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify({ name: 'get_time', arguments: {} }),
      });
    const health = async () => (await json(await fetch(`${base}/health`))).audit;
    try {
      await app.toolport.runtime.audit.flush();
      expect(await health()).toMatchObject({ queued: 0, dropped: 0 });

      await proxy.cut();
      for (let i = 0; i < 20; i++) expect((await call(`down-${i}`)).status).toBe(200);
      const dropped = await within(
        20_000,
        async () => {
          const audit = await health();
          return audit.dropped >= 20 ? audit : undefined;
        },
        'the 20 entries counted as dropped',
      );
      expect(dropped).toMatchObject({ queued: 0, dropped: 20, lastFlushError: expect.any(String) });

      await proxy.restore();
      expect((await call('back-1')).status).toBe(200);
      await within(
        20_000,
        async () => {
          await app.toolport.runtime.audit.flush();
          const rows = await database
            .query(`select request_id from audit_log where request_id like 'back-%' or request_id like 'down-%'`)
            .catch(() => undefined);
          return rows && rows.rows.length > 0 ? rows.rows : undefined;
        },
        'the call after the outage written',
      ).then((rows) => expect(rows).toEqual([{ request_id: 'back-1' }]));
      expect((await health()).dropped).toBe(20);
    } finally {
      await app.stop();
      await database.close();
      await proxy.close();
      await created.drop();
    }
  }, 90_000);
});
