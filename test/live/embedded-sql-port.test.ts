import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock, listRunning } from '../../src/db/data-dir-lock.ts';
import { runSql } from '../../src/main/commands/sql.ts';
import { startToolport, type Toolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { freePort, runCli } from '../support/process.ts';
import { json } from '../support/toolport.ts';
import { within } from './within.ts';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

// psql on the embedded database's SQL port raises no in-process NOTIFY: the SQL port wakes the change feed when a statement ends (sql-port-live.test.ts), the poll is the fallback.
describe('embedded database: edits through the SQL port go live — with the SQL password only', () => {
  const root = mkdtempSync(join(tmpdir(), 'toolport-sqlport-'));
  const dataDir = join(root, 'data');
  const runningDir = join(root, 'running');
  let toolport: Toolport;
  let sqlPort: number;
  let sql: postgres.Sql;
  let utility: string;
  const description = async () => (await json(await fetch(`${utility}/tools/get_time`))).description as string;

  beforeAll(async () => {
    sqlPort = await freePort();
    toolport = await startToolport(
      loadConfig({
        TOOLPORT_DATA_DIR: dataDir,
        TOOLPORT_SERVERS: 'utility:0',
        TOOLPORT_SQL_PORT: String(sqlPort),
        TOOLPORT_CHANGE_POLL_MS: '500',
        TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN,
      }),
      { logger: silentLogger, runningDir },
    );
    expect(toolport.sqlPort).toBe(sqlPort);
    utility = toolport.listeners.get('utility')!.url;
    const password = readFileSync(`${dataDir}.sql-password`, 'utf8').trim();
    sql = postgres({ host: '127.0.0.1', port: sqlPort, user: 'postgres', database: 'postgres', password, max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 2 });
    await toolport?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('an UPDATE over the wire shows on REST within the poll interval', async () => {
    await sql`update tools set description = 'edited over the SQL port' where server_id = 'utility' and name = 'get_time'`;
    await within(2000, async () => ((await description()) === 'edited over the SQL port' ? true : undefined));
  });

  it('with TOOLPORT_ADMIN_TOKEN set, an UPDATE without the SQL password is refused (28P01) and never goes live', async () => {
    const intruder = postgres({ host: '127.0.0.1', port: sqlPort, user: 'postgres', database: 'postgres', max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await expect(intruder`update tools set description = 'no password' where name = 'get_time'`).rejects.toMatchObject({ code: '28P01' });
    } finally {
      await intruder.end({ timeout: 1 });
    }
    await new Promise((resolve) => setTimeout(resolve, 1100)); // two polls
    expect(await description()).toBe('edited over the SQL port');
    // REST writes still need the admin token.
    expect((await fetch(`${utility}/tools/get_time`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"title":"x"}' })).status).toBe(
      401,
    );
  });

  describe('`npm run sql` says which database it used, and never creates one', () => {
    it('through the running server’s SQL port (password from its file, no extra steps), saying so on stderr', async () => {
      const notes: string[] = [];
      const result = await runSql(loadConfig({ TOOLPORT_DATA_DIR: dataDir }), 'select count(*)::int as n from tools', {
        note: (line) => notes.push(line),
        runningDir,
      });
      expect(result.rows).toEqual([{ n: 7 }]);
      expect(notes).toEqual([
        `npm run sql: the running Toolport's embedded database at ${dataDir} (pid ${process.pid}), through its SQL port 127.0.0.1:${sqlPort}`,
      ]);
      // The real command: the table on stdout, the database on stderr.
      const cli = runCli(['sql', 'select count(*)::int as n from tools'], { TOOLPORT_DATA_DIR: dataDir });
      expect(await cli.exited).toBe(0);
      expect(cli.output()).toContain(`npm run sql: the running Toolport's embedded database at ${dataDir}`);
      expect(cli.output()).toMatch(/^\s*n\s*\n-+\n\s*7\s*$/m);
    });

    it('a data dir that does not exist is refused, naming it and TOOLPORT_DATA_DIR, and is not created', async () => {
      const missing = join(root, 'typo', 'data');
      await expect(runSql(loadConfig({ TOOLPORT_DATA_DIR: missing }), 'select 1', { note: () => {}, runningDir })).rejects.toThrow(
        new RegExp(`No embedded database at ${missing.replaceAll('/', '\\/')}.*does not create one.*TOOLPORT_DATA_DIR`),
      );
      expect(existsSync(join(root, 'typo'))).toBe(false);
      const cli = runCli(['sql', 'select 1'], { TOOLPORT_DATA_DIR: missing });
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toContain(`No embedded database at ${missing}`);
      expect(existsSync(join(root, 'typo'))).toBe(false);
      // An empty directory is no database either.
      mkdirSync(join(root, 'empty'));
      await expect(runSql(loadConfig({ TOOLPORT_DATA_DIR: join(root, 'empty') }), 'select 1', { note: () => {}, runningDir })).rejects.toThrow(
        /holds no database/,
      );
      expect(readdirSync(join(root, 'empty'))).toEqual([]);
    });

    it('without TOOLPORT_DATA_DIR and no server on the default data dir, it finds the one running Toolport, uses it and says so', async () => {
      const idleDefault = join(root, 'default', 'data'); // stands for .toolport/data, which nobody runs on
      const notes: string[] = [];
      const result = await runSql(loadConfig({ TOOLPORT_DATA_DIR: idleDefault }), 'select count(*)::int as n from tools', {
        explicitDataDir: false,
        runningDir,
        note: (line) => notes.push(line),
      });
      expect(result.rows).toEqual([{ n: 7 }]);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain(`the running Toolport's embedded database at ${dataDir} (pid ${process.pid})`);
      expect(notes[0]).toContain(`no Toolport runs on the default data dir ${idleDefault}; set TOOLPORT_DATA_DIR`);
      expect(existsSync(join(root, 'default'))).toBe(false);
      // With TOOLPORT_DATA_DIR given, it never looks elsewhere.
      await expect(runSql(loadConfig({ TOOLPORT_DATA_DIR: idleDefault }), 'select 1', { explicitDataDir: true, runningDir, note: () => {} })).rejects.toThrow(
        /No embedded database at/,
      );
    });

    it('with several running, it does not guess: it lists them; stale entries (dead process, lock gone) are ignored and removed', async () => {
      // A second holder, in this very process: lock another data dir and list it.
      const other = acquireDataDirLock(join(root, 'other-data'));
      other.update({ sqlHost: '127.0.0.1', sqlPort: 1 });
      other.advertise(runningDir);
      const dead = join(runningDir, '4199999-dead.json');
      writeFileSync(dead, JSON.stringify({ pid: 4_194_304 + 5_695, startedAt: '2026-01-01T00:00:00Z', dataDir: '/gone', lockFile: '/gone.lock' }));
      const lockless = join(runningDir, `${process.pid}-lockless.json`);
      writeFileSync(lockless, JSON.stringify({ pid: process.pid, startedAt: 'x', dataDir: join(root, 'x'), lockFile: join(root, 'x.lock') }));
      const garbage = join(runningDir, 'garbage.json');
      writeFileSync(garbage, '{not json');
      try {
        expect(listRunning(runningDir).map((server) => server.dataDir)).toEqual([dataDir, join(root, 'other-data')]);
        for (const stale of [dead, lockless, garbage]) expect(existsSync(stale)).toBe(false);
        const attempt = runSql(loadConfig({ TOOLPORT_DATA_DIR: join(root, 'default', 'data') }), 'select 1', {
          explicitDataDir: false,
          runningDir,
          note: () => {},
        });
        await expect(attempt).rejects.toThrow(/and 2 run on other data dirs/);
        await expect(attempt).rejects.toThrow(new RegExp(`TOOLPORT_DATA_DIR=${dataDir.replaceAll('/', '\\/')} \\(SQL port ${sqlPort}\\)`));
      } finally {
        other.release();
      }
      expect(listRunning(runningDir).map((server) => server.dataDir)).toEqual([dataDir]);
    });
  });
});
