import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { ADMIN_TOKEN, bearer, createKey, KEYED_ENV } from './access-support.ts';
import { INITIALIZE, postMcp } from './support.ts';

/**
 * 2025-era sessions recorded in mcp_sessions: two Toolports in this process
 * on one database stand for two replicas (test/live/sessions-replicas.test.ts
 * runs real processes). Who may use a session, what the table holds, an end
 * made in SQL, and a session that outlives a restart.
 */
const VERSION = '2025-11-25';
const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const sessionHeaders = (key: string | undefined, id: string) => ({ ...bearer(key), 'mcp-session-id': id, 'mcp-protocol-version': VERSION });

async function openSession(url: string, key: string): Promise<string> {
  const response = await postMcp(url, INITIALIZE, bearer(key));
  expect(response.status).toBe(200);
  await response.text();
  const id = response.headers.get('mcp-session-id')!;
  const initialized = await postMcp(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders(key, id));
  expect(initialized.status).toBe(202);
  return id;
}

const listStatus = async (url: string, key: string | undefined, id: string) => {
  const response = await postMcp(url, LIST, sessionHeaders(key, id));
  await response.text();
  return response.status;
};

describe.each(backends)('2025-era sessions shared through the database (%s)', (backend) => {
  let db: TestDatabase;
  let a: RunningToolport;
  let b: RunningToolport;
  const onA = () => a.urls.finance!;
  const onB = () => b.urls.finance!;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    a = await startTestToolport(db, KEYED_ENV);
    b = await startTestToolport(db, KEYED_ENV);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.dispose();
  });

  /** A key made on A, once B's key ring knows it too. */
  async function keyOnBoth(name: string, scopes: string[]) {
    const key = await createKey(a, name, scopes);
    await within(5000, async () => ((await fetch(`${onB()}/tools`, { headers: bearer(key.key) })).status === 200 ? true : undefined), `${name} on B`);
    return key;
  }

  it('the session opened on A works on B only for the same caller; others get the 404 of an unknown id, no credential a 401', async () => {
    const owner = await keyOnBoth('owner', ['finance:call']);
    const intruder = await keyOnBoth('intruder', ['finance:call']);
    const session = await openSession(onA(), owner.key);
    expect(await listStatus(onB(), intruder.key, session)).toBe(404);
    expect(await listStatus(onB(), undefined, session)).toBe(401);
    expect(await listStatus(onB(), 'tp_wrongkey_0000000000000000000000000000', session)).toBe(401);
    expect(await listStatus(onB(), owner.key, session)).toBe(200);
    // B holds it now, and still tells the intruder nothing.
    expect(await listStatus(onB(), intruder.key, session)).toBe(404);
  });

  it('a revoked key cannot use its session on either replica', async () => {
    const owner = await keyOnBoth('soon-revoked', ['finance:call']);
    const session = await openSession(onA(), owner.key);
    expect(await listStatus(onB(), owner.key, session)).toBe(200);
    const revoked = await fetch(`${onA()}/keys/${owner.id}`, { method: 'DELETE', headers: bearer(ADMIN_TOKEN) });
    expect(revoked.status).toBeLessThan(300);
    await within(5000, async () => ((await listStatus(onB(), owner.key, session)) === 401 ? true : undefined), 'revocation on B');
    expect(await listStatus(onA(), owner.key, session)).toBe(401);
  });

  it('mcp_sessions holds who and what was negotiated, never a credential', async () => {
    const owner = await keyOnBoth('inspected', ['finance:call']);
    const session = await openSession(onA(), owner.key);
    const { rows } = await db.database.query('select * from mcp_sessions where id = $1', [session]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ server_id: 'finance', actor: owner.actor, protocol_version: VERSION, client_info: { name: 'curl', version: '0' } });
    expect(JSON.stringify(rows)).not.toContain(owner.key.split('_')[2]!);
  });

  it('a DELETE in SQL ends the session on both replicas', async () => {
    const owner = await keyOnBoth('sql-ended', ['finance:call']);
    const session = await openSession(onA(), owner.key);
    expect(await listStatus(onB(), owner.key, session)).toBe(200);
    await db.database.query('delete from mcp_sessions where id = $1', [session]);
    await within(2000, async () => ((await listStatus(onA(), owner.key, session)) === 404 ? true : undefined), '404 on A');
    expect(await listStatus(onB(), owner.key, session)).toBe(404);
  });

  it('a session outlives a restart of the process that opened it', async () => {
    const owner = await keyOnBoth('restarted', ['finance:call']);
    const session = await openSession(onA(), owner.key);
    await a.stop();
    a = await startTestToolport(db, KEYED_ENV);
    await within(5000, async () => ((await listStatus(onA(), owner.key, session)) === 200 ? true : undefined), 'session after restart');
  });
});
