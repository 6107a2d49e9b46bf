import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSql } from '../../src/main/commands/sql.ts';
import { startToolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { freePort, runCli } from '../support/process.ts';
import { json } from '../support/toolport.ts';

const root = mkdtempSync(join(tmpdir(), 'toolport-proc-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('processes, ports and the embedded data dir', () => {
  it('a second process on the same data dir exits with a clear message; SQL works through the first one’s SQL port', async () => {
    const dataDir = join(root, 'shared-data');
    const [financePort, utilityPort, sqlPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const env = {
      TOOLPORT_DATA_DIR: dataDir,
      TOOLPORT_SERVERS: `finance:${financePort},utility:${utilityPort}`,
      TOOLPORT_SQL_PORT: String(sqlPort),
    };
    const first = runCli(['serve'], env);
    try {
      await first.waitFor(/SQL port/, 60_000);
      expect((await json(await fetch(`http://127.0.0.1:${financePort}/info`))).tools.count).toBe(3);

      const second = runCli(['serve'], { ...env, TOOLPORT_SERVERS: 'finance:0' });
      expect(await second.exited).toBe(1);
      expect(second.output()).toMatch(/in use by another Toolport process \(pid \d+/);
      expect(second.output()).toMatch(new RegExp(`SQL on 127\\.0\\.0\\.1:${sqlPort}`));

      const config = loadConfig({ TOOLPORT_DATA_DIR: dataDir });
      const result = await runSql(config, 'SELECT server_id, count(*)::int AS tools FROM tools GROUP BY 1 ORDER BY 1');
      expect(result.via).toMatch(/SQL port/);
      expect(result.rows).toEqual([
        { server_id: 'finance', tools: 3 },
        { server_id: 'utility', tools: 4 },
      ]);
    } finally {
      expect(await first.kill('SIGTERM')).toBe(0);
    }
    expect(first.output()).toMatch(/shutting down/);

    // With no server running, `sql` opens the data dir itself.
    const offline = await runSql(loadConfig({ TOOLPORT_DATA_DIR: dataDir }), 'SELECT count(*)::int AS n FROM tools');
    expect(offline.via).toMatch(/embedded PGlite/);
    expect(offline.rows).toEqual([{ n: 7 }]);
  });

  it('a port in use fails start-up with a message naming the server and the port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const config = loadConfig({ TOOLPORT_DATA_DIR: 'memory://', TOOLPORT_SERVERS: `finance:0,utility:${port}` });
      await expect(startToolport(config, { logger: silentLogger, sqlPort: false })).rejects.toThrow(
        new RegExp(`server "utility": port ${port} on 127\\.0\\.0\\.1 is already in use`),
      );
    } finally {
      blocker.close();
    }
  });

  it('an unknown server in TOOLPORT_SERVERS is refused with the known ids', async () => {
    const config = loadConfig({ TOOLPORT_DATA_DIR: 'memory://', TOOLPORT_SERVERS: 'fnance:0' });
    await expect(startToolport(config, { logger: silentLogger, sqlPort: false })).rejects.toThrow(/"fnance".*Known: finance, utility/);
  });
});
