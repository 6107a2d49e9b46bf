import { execFile } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPathFor } from '../../src/db/data-dir-lock.ts';
import { resolveSqlPassword } from '../../src/db/sql-password.ts';
import { runSql } from '../../src/main/commands/sql.ts';
import { startToolport, type Toolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { freePort } from '../support/process.ts';
import { json } from '../support/toolport.ts';

/**
 * Finding 5: the embedded SQL port accepted psql on 127.0.0.1 with no
 * password, so `UPDATE tools …` through it bypassed TOOLPORT_ADMIN_TOKEN.
 * Every connection must now pass SCRAM-SHA-256 with the SQL password.
 */

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const root = mkdtempSync(join(tmpdir(), 'toolport-sqlauth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real psql, with nothing of this machine's libpq settings (no ~/.pgpass, no PG* variables). */
function psql(port: number, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/psql',
      ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-At', ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: root, PGPASSFILE: join(root, 'no-such-pgpass'), PGCONNECT_TIMEOUT: '5', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function sh(script: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', script], { env: { PATH: process.env.PATH ?? '', HOME: root, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function postgresJs(port: number, password: string | undefined): Promise<{ rows?: unknown[]; code?: string; message?: string }> {
  const client = postgres({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', password, max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    return { rows: [...(await client`select count(*)::int as n from tools`)] };
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  } finally {
    await client.end({ timeout: 1 });
  }
}

/** A client that skips the password: StartupMessage, then a query straight away. Returns every byte the server sent, once it closes. */
function skipAuthentication(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4);
    const sql = Buffer.from("update tools set description = 'no password' where name = 'get_time'\0");
    const query = Buffer.alloc(5);
    query.write('Q', 0);
    query.writeInt32BE(4 + sql.length, 1);
    socket.on('connect', () => {
      socket.write(Buffer.concat([startup, params]));
      setTimeout(() => socket.write(Buffer.concat([query, sql])), 100);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    setTimeout(() => reject(new Error('the server did not close the connection')), 10_000).unref();
  });
}

/** Messages of a server byte stream: type and body. */
function messages(bytes: Buffer): { type: string; body: Buffer }[] {
  const out: { type: string; body: Buffer }[] = [];
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = bytes.readInt32BE(at + 1);
    out.push({ type: String.fromCharCode(bytes[at]!), body: bytes.subarray(at + 5, at + 1 + length) });
    at += 1 + length;
  }
  return out;
}

function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of body.toString('utf8').split('\0')) if (part) fields[part[0]!] = part.slice(1);
  return fields;
}

/** A raw wire-protocol connection: send bytes, read the server's messages one by one. */
function wire(port: number) {
  const socket = connect(port, '127.0.0.1');
  let buffer = Buffer.alloc(0);
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((wakeUp) => wakeUp());
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    wake();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    wake();
  });
  return {
    send: (bytes: Buffer) => socket.write(bytes),
    /** The next message, or undefined once the server has closed the connection. */
    async next(): Promise<{ type: string; body: Buffer } | undefined> {
      for (;;) {
        if (buffer.length >= 5 && buffer.length >= 1 + buffer.readInt32BE(1)) {
          const length = buffer.readInt32BE(1);
          const message = { type: String.fromCharCode(buffer[0]!), body: buffer.subarray(5, 1 + length) };
          buffer = buffer.subarray(1 + length);
          return message;
        }
        if (closed) return undefined;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    close: () => socket.destroy(),
  };
}

function frontend(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function startupPacket(): Buffer {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, params]);
}

function saslInitial(clientFirst: string): Buffer {
  const data = Buffer.from(clientFirst);
  const size = Buffer.alloc(4);
  size.writeInt32BE(data.length);
  return frontend('p', Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), size, data]));
}

/** The client side of SCRAM-SHA-256 (RFC 5802), up to the client-final-message. */
function scramClientFinal(password: string, clientFirstBare: string, serverFirst: string): string {
  const attributes = Object.fromEntries(serverFirst.split(',').map((part) => [part[0], part.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attributes.s!, 'base64'), Number(attributes.i), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const withoutProof = `c=biws,r=${attributes.r}`;
  const signature = createHmac('sha256', storedKey).update(`${clientFirstBare},${serverFirst},${withoutProof}`).digest();
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
  return `${withoutProof},p=${proof.toString('base64')}`;
}

describe('the embedded SQL port requires a password', () => {
  const dataDir = join(root, 'data');
  const passwordFile = `${dataDir}.sql-password`;
  const logs: string[] = [];
  let toolport: Toolport;
  let port: number;
  let utility: string;
  let password: string;

  const start = async (lines: string[], env: Record<string, string> = {}) => {
    const started = await startToolport(
      loadConfig({
        TOOLPORT_DATA_DIR: dataDir,
        TOOLPORT_SERVERS: 'utility:0',
        TOOLPORT_SQL_PORT: String(port),
        TOOLPORT_CHANGE_POLL_MS: '300',
        TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN,
        ...env,
      }),
      { logger: createLogger('debug', (line) => lines.push(line)), runningDir: join(root, 'running') },
    );
    utility = started.listeners.get('utility')!.url;
    return started;
  };
  const description = async () => (await json(await fetch(`${utility}/tools/get_time`))).description as string;

  beforeAll(async () => {
    port = await freePort();
    toolport = await start(logs);
    expect(toolport.sqlPort).toBe(port);
    password = readFileSync(passwordFile, 'utf8').trim();
  });
  afterAll(async () => {
    await toolport?.stop();
  });

  it('first start: a random password (≥ 128 bits) in <dataDir>.sql-password, mode 0600, shown once in the log with the file’s path', () => {
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 random bytes, base64url: 192 bits
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const showing = logs.filter((line) => line.includes(password));
    expect(showing).toHaveLength(1);
    expect(JSON.parse(showing[0]!)).toMatchObject({ level: 'warn', file: passwordFile, generatedPassword: password });
    // The start-up line says how to connect, without the password.
    const hint = logs.map((line) => JSON.parse(line)).find((line) => line.msg === 'SQL port (embedded database)');
    expect(hint).toMatchObject({
      port,
      auth: 'scram-sha-256',
      passwordFile,
      psql: `PGPASSWORD=$(cat ${passwordFile}) psql -h 127.0.0.1 -p ${port} -U postgres`,
    });
  });

  it('the lock file says where the password file is, never the password', () => {
    const lock = readFileSync(lockPathFor(dataDir), 'utf8');
    expect(JSON.parse(lock)).toMatchObject({ pid: process.pid, sqlPort: port, sqlPasswordFile: passwordFile });
    expect(lock).not.toContain(password);
  });

  it('psql without a password is refused, and its UPDATE never happens', async () => {
    const run = await psql(port, ['-w', '-c', "update tools set description = 'psql, no password' where name = 'get_time'"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no password supplied/);
    expect(run.stdout).toBe('');
  });

  it('psql with a wrong password: FATAL password authentication failed (28P01), no UPDATE', async () => {
    const run = await psql(port, ['-c', "update tools set description = 'psql, wrong password' where name = 'get_time'"], { PGPASSWORD: `${password}x` });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/FATAL: {2}password authentication failed for user "postgres"/);
    const wrong = await postgresJs(port, 'not the password');
    expect(wrong).toMatchObject({ code: '28P01' });
    const none = await postgresJs(port, undefined);
    expect(none.code).toBe('28P01');
  });

  it('a client that skips authentication gets ErrorResponse 28P01 and is disconnected; its query never runs', async () => {
    const reply = messages(await skipAuthentication(port));
    // AuthenticationSASL (R, 10, SCRAM-SHA-256), then the error: no AuthenticationOk, no CommandComplete.
    expect(reply.map((message) => message.type)).toEqual(['R', 'E']);
    expect(reply[0]!.body.readInt32BE(0)).toBe(10);
    expect(reply[0]!.body.subarray(4).toString()).toContain('SCRAM-SHA-256');
    expect(errorFields(reply[1]!.body)).toMatchObject({ S: 'FATAL', C: '28P01', M: 'password authentication failed for user "postgres"' });
  });

  it('SCRAM: the right proof gets in; the same proof replayed on a new connection (a sniffed exchange) does not', async () => {
    const clientFirstBare = `n=,r=${randomBytes(18).toString('base64')}`;
    const first = wire(port);
    first.send(startupPacket());
    expect((await first.next())?.body.readInt32BE(0)).toBe(10); // AuthenticationSASL
    first.send(saslInitial(`n,,${clientFirstBare}`));
    const serverFirst = (await first.next())!.body.subarray(4).toString();
    expect(serverFirst).toMatch(/^r=.+,s=.+,i=4096$/);
    const clientFinal = scramClientFinal(password, clientFirstBare, serverFirst);
    first.send(frontend('p', Buffer.from(clientFinal)));
    const final = (await first.next())!;
    expect(final.type).toBe('R');
    expect(final.body.readInt32BE(0)).toBe(12); // AuthenticationSASLFinal, then PGlite's AuthenticationOk
    const ok = (await first.next())!;
    expect([ok.type, ok.body.readInt32BE(0)]).toEqual(['R', 0]);
    first.close();

    const replay = wire(port);
    replay.send(startupPacket());
    await replay.next();
    replay.send(saslInitial(`n,,${clientFirstBare}`));
    const other = (await replay.next())!.body.subarray(4).toString();
    expect(other).not.toBe(serverFirst); // a fresh server nonce
    replay.send(frontend('p', Buffer.from(clientFinal)));
    const refused = (await replay.next())!;
    expect(refused.type).toBe('E');
    expect(errorFields(refused.body)).toMatchObject({ C: '28P01' });
    expect(await replay.next()).toBeUndefined(); // and closed
  });

  it('clients that reset the connection mid-handshake (or send garbage) do not take the port down', async () => {
    const resets = Array.from(
      { length: 6 },
      (_, i) =>
        new Promise<void>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.on('error', () => {});
          socket.on('close', () => resolve());
          socket.on('connect', () => {
            if (i % 3 === 0)
              socket.write(startupPacket().subarray(0, 6)); // half a packet
            else if (i % 3 === 1) socket.write(startupPacket());
            else socket.write(Buffer.alloc(64, 0xff)); // not the protocol at all
            setTimeout(() => socket.resetAndDestroy(), 50);
          });
        }),
    );
    await Promise.all(resets);
    expect(await psql(port, ['-c', 'select 1'], { PGPASSWORD: password })).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('none of the refused UPDATEs went live, although the port kept serving; with the password (PGPASSWORD=$(cat …)) one does', async () => {
    await new Promise((resolve) => setTimeout(resolve, 700)); // two polls of the change feed
    expect(await description()).not.toMatch(/password/);
    const run = await sh(
      `PGPASSWORD=$(cat '${passwordFile}') psql -X -h 127.0.0.1 -p ${port} -U postgres -Atc "update tools set description = 'edited with the SQL password' where name = 'get_time'"`,
      {
        PGPASSFILE: join(root, 'no-such-pgpass'),
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^UPDATE 1\n/); // (then PGlite's own NOTIFY, which psql prints)
    const deadline = Date.now() + 3000;
    while ((await description()) !== 'edited with the SQL password') {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await json(await fetch(`${utility}/health`))).status).toBe('ok');
  });

  it('a ~/.pgpass line works too, and so do postgres.js and `npm run sql` (which reads the password file itself)', async () => {
    const pgpass = join(root, 'pgpass');
    writeFileSync(pgpass, `127.0.0.1:${port}:*:postgres:${password}\n`, { mode: 0o600 });
    expect(await psql(port, ['-w', '-c', 'select count(*) from tools'], { PGPASSFILE: pgpass })).toMatchObject({ code: 0, stdout: '7\n' });
    expect(await postgresJs(port, password)).toEqual({ rows: [{ n: 7 }] });
    const notes: string[] = [];
    const result = await runSql(loadConfig({ TOOLPORT_DATA_DIR: dataDir }), 'select count(*)::int as n from tools', { note: (line) => notes.push(line) });
    expect(result.rows).toEqual([{ n: 7 }]);
    expect(notes).toEqual([`npm run sql: the running Toolport's embedded database at ${dataDir} (pid ${process.pid}), through its SQL port 127.0.0.1:${port}`]);
  });

  it('refusals are logged without any password; the password appears in no log line but the first-start one', () => {
    const refused = logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'SQL port: connection refused');
    expect(refused.length).toBeGreaterThanOrEqual(4);
    expect(refused.map((line) => line.code)).toContain('28P01');
    expect(logs.filter((line) => line.includes(password))).toHaveLength(1);
    expect(logs.filter((line) => line.includes('not the password'))).toEqual([]);
  });

  it('a restart reuses the password without printing it, and tightens a password file others could read', async () => {
    await toolport.stop();
    chmodSync(passwordFile, 0o644);
    const again: string[] = [];
    toolport = await start(again);
    expect(readFileSync(passwordFile, 'utf8').trim()).toBe(password);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(again.filter((line) => line.includes(password))).toEqual([]);
    expect(again.some((line) => line.includes('permissions set to 0600'))).toBe(true);
    expect(await psql(port, ['-c', 'select 1'], { PGPASSWORD: password })).toMatchObject({ code: 0, stdout: '1\n' });
    expect(await postgresJs(port, 'wrong')).toMatchObject({ code: '28P01' });
  });
});

describe('TOOLPORT_SQL_PASSWORD instead of a generated password', () => {
  const dataDir = join(root, 'env-data');
  const chosen = 'chosen-sql-password-42';
  const logs: string[] = [];
  let toolport: Toolport;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    toolport = await startToolport(
      loadConfig({ TOOLPORT_DATA_DIR: dataDir, TOOLPORT_SERVERS: 'utility:0', TOOLPORT_SQL_PORT: String(port), TOOLPORT_SQL_PASSWORD: chosen }),
      { logger: createLogger('debug', (line) => logs.push(line)), runningDir: join(root, 'running') },
    );
  });
  afterAll(async () => {
    await toolport?.stop();
  });

  it('is the password: no file is written, it is never logged, and the lock says no file', async () => {
    expect(existsSync(`${dataDir}.sql-password`)).toBe(false);
    expect(logs.filter((line) => line.includes(chosen))).toEqual([]);
    expect(JSON.parse(readFileSync(lockPathFor(dataDir), 'utf8')).sqlPasswordFile).toBeUndefined();
    expect(await psql(port, ['-c', 'select 1'], { PGPASSWORD: chosen })).toMatchObject({ code: 0, stdout: '1\n' });
    expect(await postgresJs(port, 'chosen-sql-password-43')).toMatchObject({ code: '28P01' });
  });

  it('`npm run sql` uses TOOLPORT_SQL_PASSWORD, and says to set it when it is missing', async () => {
    const notes: string[] = [];
    const ok = await runSql(loadConfig({ TOOLPORT_DATA_DIR: dataDir, TOOLPORT_SQL_PASSWORD: chosen }), 'select 1 as one', { note: (line) => notes.push(line) });
    expect(ok.rows).toEqual([{ one: 1 }]);
    await expect(runSql(loadConfig({ TOOLPORT_DATA_DIR: dataDir }), 'select 1', { note: () => {} })).rejects.toThrow(
      /takes its SQL port password from TOOLPORT_SQL_PASSWORD: set it here too/,
    );
    await expect(
      runSql(loadConfig({ TOOLPORT_DATA_DIR: dataDir, TOOLPORT_SQL_PASSWORD: 'another-password-1' }), 'select 1', { note: () => {} }),
    ).rejects.toThrow(/refused the password in TOOLPORT_SQL_PASSWORD/);
  });
});

describe('the password file', () => {
  it('is created once (0600, no temporary file left), then reused; an empty one is replaced; a directory in its place is refused', () => {
    const dir = join(root, 'file-checks');
    mkdirSync(dir);
    const dataDir = join(dir, 'data');
    const first = resolveSqlPassword(dataDir, undefined);
    expect(first).toMatchObject({ file: `${dataDir}.sql-password`, created: true });
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.file!, 'utf8')).toBe(`${first.password}\n`);
    const second = resolveSqlPassword(dataDir, undefined);
    expect(second).toMatchObject({ password: first.password, created: false });
    expect(resolveSqlPassword(join(dir, 'other'), undefined).password).not.toBe(first.password);
    writeFileSync(first.file!, '\n');
    const replaced = resolveSqlPassword(dataDir, undefined);
    expect(replaced.created).toBe(true);
    expect(replaced.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readdirSync(dir).sort()).toEqual(['data.sql-password', 'other.sql-password']);
    mkdirSync(join(dir, 'odd.sql-password'));
    expect(() => resolveSqlPassword(join(dir, 'odd'), undefined)).toThrow(/not a regular file/);
    // TOOLPORT_SQL_PASSWORD: used as is, nothing written.
    expect(resolveSqlPassword(join(dir, 'env'), 'from-the-environment')).toEqual({
      password: 'from-the-environment',
      file: undefined,
      created: false,
      tightened: false,
    });
    expect(existsSync(join(dir, 'env.sql-password'))).toBe(false);
  });
});
