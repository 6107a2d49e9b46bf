import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { handlers } from '../../src/handlers/index.ts';
import { startToolport, type Toolport } from '../../src/main/toolport.ts';
import { seed } from '../../src/registry/seed.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/database.ts';
import { freePort } from '../support/process.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { json } from '../support/toolport.ts';
import { within } from './within.ts';

if (!TEST_DATABASE_URL) console.warn('test/live/servers-and-outage: skipped — set TEST_DATABASE_URL to a PostgreSQL server to run it');

const refused = async (url: string) => {
  try {
    await fetch(url);
    return undefined;
  } catch {
    return true;
  }
};

describe.skipIf(!TEST_DATABASE_URL)('servers rows are live; a database outage degrades, never fails calls (PostgreSQL)', () => {
  let url: string;
  let drop: () => Promise<void>;
  let proxy: TcpProxy;
  let toolport: Toolport;
  let direct: Awaited<ReturnType<typeof openDatabase>>;
  let utility: string;

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    direct = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 2 });
    await migrate(direct, url);
    await seed(direct, handlers);
    // Serve every enabled server row (no TOOLPORT_SERVERS), on free ports.
    const [financePort, utilityPort] = await Promise.all([freePort(), freePort()]);
    await direct.query(`UPDATE servers SET port = CASE id WHEN 'finance' THEN ${financePort} ELSE ${utilityPort} END`);
    const target = new URL(url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    toolport = await startToolport(loadConfig({ DATABASE_URL: viaProxy.toString(), TOOLPORT_CHANGE_POLL_MS: '200', TOOLPORT_SHUTDOWN_TIMEOUT_MS: '2000' }), {
      logger: silentLogger,
      sqlPort: false,
    });
    utility = toolport.listeners.get('utility')!.url;
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => {});
    await toolport?.stop();
    await direct?.close();
    await proxy?.close();
    await drop?.();
  });

  it('INSERT INTO servers with a free port starts its listener; a port change moves it; disabling releases the port', async () => {
    const port = await freePort();
    await direct.query(`INSERT INTO servers (id, name, description, port) VALUES ('reports', 'Reports', 'added with SQL', ${port})`);
    await direct.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('reports', 'report_clock', 'x', '{"type":"object"}', 'get_time')`,
    );
    const info = await within(2000, async () => json(await fetch(`http://127.0.0.1:${port}/info`)), 'new listener');
    expect(info.server).toMatchObject({ id: 'reports', port });
    await within(2000, async () => ((await json(await fetch(`http://127.0.0.1:${port}/info`))).tools.names.includes('report_clock') ? true : undefined));

    const moved = await freePort();
    await direct.query(`UPDATE servers SET port = ${moved} WHERE id = 'reports'`);
    await within(3000, async () => ((await fetch(`http://127.0.0.1:${moved}/health`)).status === 200 ? true : undefined), 'moved listener');
    await within(3000, () => refused(`http://127.0.0.1:${port}/health`), 'old port released');

    await direct.query(`UPDATE servers SET enabled = false WHERE id = 'reports'`);
    await within(3000, () => refused(`http://127.0.0.1:${moved}/health`), 'disabled server stopped');
    expect(toolport.listeners.has('reports')).toBe(false);
  });

  it('a port that cannot be bound is reported on the other listeners’ /health, not fatal', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      await direct.query(`INSERT INTO servers (id, name, port) VALUES ('clash', 'Clash', ${taken})`);
      const failure = await within(
        3000,
        async () => {
          const health = await json(await fetch(`${utility}/health`));
          return health.listenerFailures?.find((item: any) => item.serverId === 'clash');
        },
        'failure on /health',
      );
      expect(failure).toMatchObject({ port: taken, error: expect.stringMatching(/"clash": port \d+ .* already in use/) });
      expect((await json(await fetch(`${utility}/health`))).status).toBe('degraded');
      expect((await fetch(`${utility}/tools`)).status).toBe(200);
      await direct.query(`DELETE FROM servers WHERE id = 'clash'`);
      await within(3000, async () => ((await json(await fetch(`${utility}/health`))).listenerFailures ? undefined : true), 'failure cleared');
    } finally {
      blocker.close();
    }
  });

  it('while the database is unreachable: calls succeed, writes 503 fast, /ready false; then it catches up', async () => {
    await proxy.cut();
    const calls = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${utility}/tools/call`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'get_time', arguments: { timezone: 'UTC' } }),
        }).then((r) => r.status),
      ),
    );
    expect(calls.every((status) => status === 200)).toBe(true);
    const ready = await fetch(`${utility}/ready`);
    expect(ready.status).toBe(503);
    expect((await json(await fetch(`${utility}/health`))).status).toBe('degraded');
    const started = Date.now();
    const write = await fetch(`${utility}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'during_outage', description: 'x', handler: 'get_time' }),
    });
    expect(write.status).toBe(503);
    expect((await json(write)).error.message).toMatch(/database is unreachable/);
    expect(Date.now() - started).toBeLessThan(3000);

    // A change made meanwhile by someone else reaches this process after the outage.
    await direct.query(`UPDATE tools SET description = 'changed during the outage' WHERE server_id = 'utility' AND name = 'get_weather'`);
    await proxy.restore();
    await within(10_000, async () => ((await fetch(`${utility}/ready`)).status === 200 ? true : undefined), 'ready again');
    await within(
      5000,
      async () => ((await json(await fetch(`${utility}/tools/get_weather`))).description === 'changed during the outage' ? true : undefined),
      'caught up',
    );
    const after = await fetch(`${utility}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'after_outage', description: 'x', handler: 'get_time' }),
    });
    expect(after.status).toBe(201);
  });
});
