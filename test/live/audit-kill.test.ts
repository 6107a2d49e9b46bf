import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { backends, createPostgresDatabase } from '../support/database.ts';
import { ROOT } from '../support/process.ts';
import { logLines } from '../support/serve-process.ts';

/**
 * What a kill -9 loses of the audit log: a real `toolport serve` child
 * answers calls at a steady rate, is killed with SIGKILL, and the calls it
 * answered are compared with the rows in audit_log afterwards. The queue is
 * flushed every second (or at 500 rows), so at most the last flush window is
 * lost: every call answered more than that window (plus the time an INSERT
 * takes) before the kill must be there, and nothing is there twice.
 */

const root = mkdtempSync(join(tmpdir(), 'toolport-audit-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One flush interval, plus room for the INSERT in flight at the kill and the answer's way back. */
const WINDOW_MS = 1000 + 500;
/** 3 to 4 s: the flush timer starts with the process, so a fixed run length would always kill at one phase of it. */
const RUN_MS = 3000 + Math.floor(Math.random() * 1000);
const EVERY_MS = 5;

/**
 * `toolport serve` as ONE process: the tsx CLI (runCli) runs the server in a
 * child of its own, and a SIGKILL of the CLI cannot be relayed — the server
 * would live on and flush. Node with tsx's loader is the server itself.
 */
async function serveOneProcess(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<unknown> }> {
  const loader = (file: string) => join(ROOT, 'node_modules/tsx/dist', file);
  const child = spawn(
    process.execPath,
    ['--require', loader('preflight.cjs'), '--import', pathToFileURL(loader('loader.mjs')).href, 'src/main/cli.ts', 'serve'],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TOOLPORT_SERVERS: 'utility:0', TOOLPORT_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = logLines(output).find((item) => item.msg === 'listening' && typeof item.url === 'string');
      if (line) {
        clearTimeout(timer);
        resolve(String(line.url));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => reject(new Error(`serve exited before listening:\n${output}`)));
  });
  return { child, url, exited };
}

describe.each(backends)('audit rows after a kill -9 (%s)', (backend) => {
  it('loses at most the last flush window of calls, and records none twice', async () => {
    const pg = backend === 'postgres' ? await createPostgresDatabase() : undefined;
    const dataDir = join(root, `data-${backend}`);
    const env: Record<string, string> = pg ? { DATABASE_URL: pg.url } : { TOOLPORT_DATA_DIR: dataDir, TOOLPORT_SQL_PORT: '0' };
    const serve = await serveOneProcess(env);
    const base = serve.url;
    const answered = new Map<string, number>();
    let sent = 0;
    try {
      const calls: Promise<void>[] = [];
      const started = Date.now();
      // A steady rate: one call every EVERY_MS, not waiting for the previous one.
      while (Date.now() - started < RUN_MS) {
        const id = `kill-${sent++}`;
        calls.push(
          fetch(`${base}/tools/call`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': id },
            body: JSON.stringify({ name: 'get_time', arguments: {} }),
          })
            .then(async (response) => {
              await response.arrayBuffer();
              if (response.status === 200) answered.set(id, Date.now());
            })
            .catch(() => {}),
        );
        await new Promise((resolve) => setTimeout(resolve, EVERY_MS));
      }
      const killedAt = Date.now();
      serve.child.kill('SIGKILL');
      await serve.exited;
      expect(serve.child.signalCode).toBe('SIGKILL');
      await Promise.all(calls);

      const database = await openDatabase({ databaseUrl: pg?.url, dataDir: pg ? '' : dataDir });
      try {
        const rows = (await database.query(`select request_id from audit_log where action = 'call' and request_id like 'kill-%'`)).rows;
        const logged = new Set(rows.map((row) => String(row.request_id)));
        expect(logged.size, 'no call recorded twice').toBe(rows.length);
        const lost = [...answered].filter(([id]) => !logged.has(id));
        const lostEarly = lost.filter(([, at]) => at < killedAt - WINDOW_MS);
        const rate = answered.size / (RUN_MS / 1000);
        console.log(
          `[audit kill -9 ${backend}] sent ${sent}, answered ${answered.size} (${rate.toFixed(0)}/s), in audit_log ${logged.size}, ` +
            `answered but lost ${lost.length} (${((lost.length / rate) * 1000).toFixed(0)} ms of calls); lost before the last window: ${lostEarly.length}`,
        );
        // A loaded machine answers fewer; enough to span several flush windows is what matters.
        expect(answered.size).toBeGreaterThan(20);
        expect(lostEarly.map(([id]) => id)).toEqual([]);
        expect(lost.length).toBeLessThanOrEqual(Math.max(500, Math.ceil(rate * (WINDOW_MS / 1000))));
        // Only calls that were sent are there (an answer lost in the kill may still have been recorded).
        for (const id of logged) expect(Number(id.slice('kill-'.length))).toBeLessThan(sent);
      } finally {
        await database.close();
      }
    } finally {
      if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
      await serve.exited;
      await pg?.drop();
    }
  }, 120_000);
});
