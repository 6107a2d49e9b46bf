import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { KeyRing } from '../../src/auth/key-ring.ts';
import { ApiKeyStore } from '../../src/db/api-key-store.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const secretOf = (key: string) => key.split('_')[2]!;

describe.each(backends)('API keys (%s)', (backend) => {
  let t: TestDatabase;
  const logLines: string[] = [];
  const logger = createLogger('debug', (line) => logLines.push(line));
  let clock = Date.now();
  const now = () => clock;
  let store: ApiKeyStore;
  let ring: KeyRing;
  let keys: ApiKeys;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    store = new ApiKeyStore(t.database.db);
    ring = new KeyRing({ store, logger, now });
    keys = new ApiKeys({ store, logger, now, onChange: () => ring.reload() });
    await ring.start();
  });
  afterAll(async () => {
    await ring?.stop();
    await t?.dispose();
  });

  it('create returns the full key once and stores only the SHA-256 of its secret', async () => {
    const created = await keys.create('admin-token', {
      name: 'ci-agent',
      scopes: ['finance:call', 'utility:list', 'finance:call'],
      rate: '600/minute',
      expiresIn: '30d',
    });
    expect(created.key).toMatch(/^tp_[a-z2-7]{8}_[a-z2-7]{32}$/);
    expect(created.key.startsWith(`tp_${created.prefix}_`)).toBe(true);
    expect(created).toMatchObject({
      name: 'ci-agent',
      scopes: ['finance:call', 'utility:list'],
      rateLimit: '600/min',
      status: 'active',
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(new Date(created.expiresAt!).getTime()).toBe(clock + 30 * 86_400_000);
    const { rows } = await t.database.query('select * from api_keys where id = $1', [created.id]);
    expect(rows[0]!.secret_hash).toBe(sha256(secretOf(created.key)));
    expect(JSON.stringify(rows[0])).not.toContain(secretOf(created.key));
    // The change log learns of it, under the actor, by prefix.
    const changes = await t.database.query(`select server_id, name, operation, actor from registry_changes where table_name = 'api_keys'`);
    expect(changes.rows).toEqual([{ server_id: '', name: created.prefix, operation: 'INSERT', actor: 'admin-token' }]);
  });

  it('neither the secret nor its hash appears in list or get output, nor in any log line', async () => {
    const created = await keys.create('cli', { name: 'no-leaks', scopes: ['*:list'] });
    const hash = sha256(secretOf(created.key));
    const shown = JSON.stringify([await keys.list(), await keys.get(created.prefix), await keys.get(created.id), await keys.revoke('cli', created.prefix)]);
    for (const text of [shown, logLines.join('\n')]) {
      expect(text).toContain(created.prefix); // the public part is what identifies a key
      expect(text).not.toContain(secretOf(created.key));
      expect(text).not.toContain(hash);
      expect(text).not.toMatch(/secret_?hash/i);
    }
    expect(logLines.some((line) => line.includes('api key created'))).toBe(true);
  });

  it('refuses bad input with the field and reason, and writes nothing', async () => {
    const before = (await keys.list()).length;
    await expect(keys.create('cli', { name: 'x', scopes: ['finance:cal'] })).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ path: '/scopes/0', message: expect.stringContaining('the action "cal"') }],
    });
    await expect(keys.create('cli', { name: '', scopes: ['finance:call'] })).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('/name'),
    });
    await expect(keys.create('cli', { name: 'x', scopes: [] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(keys.create('cli', { name: 'x', scopes: ['admin'], rate: 'lots' })).rejects.toMatchObject({
      code: 'bad_request',
      details: [{ path: '/rate' }],
    });
    await expect(keys.create('cli', { name: 'x', scopes: ['admin'], expiresIn: 'forever' })).rejects.toMatchObject({ details: [{ path: '/expiresIn' }] });
    expect((await keys.list()).length).toBe(before);
  });

  it('the key ring resolves a key to its principal in memory, and refuses wrong, unknown and malformed ones', async () => {
    const created = await keys.create('cli', { name: 'resolver', scopes: ['finance:call:get_*'], rate: '10/s' });
    const resolved = ring.resolve(created.key);
    expect(resolved).toEqual({
      ok: true,
      principal: {
        kind: 'key',
        actor: `key:${created.id}`,
        name: 'resolver',
        keyId: created.id,
        scopes: [{ server: 'finance', action: 'call', toolGlob: 'get_*' }],
        rateLimit: { requests: 10, perMs: 1000 },
      },
    });
    const wrongSecret = `tp_${created.prefix}_${'a'.repeat(32)}`;
    expect(ring.resolve(wrongSecret)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(ring.resolve(`tp_aaaaaaaa_${secretOf(created.key)}`)).toMatchObject({ ok: false, reason: 'unknown' });
    for (const bad of ['tp_', `${created.key}x`, created.key.toUpperCase(), 'tp_abc_def'])
      expect(ring.resolve(bad)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('revoked and expired keys are refused with their own reasons (by id or prefix)', async () => {
    const byId = await keys.create('cli', { name: 'revoke-by-id', scopes: ['*:call'] });
    const byPrefix = await keys.create('cli', { name: 'revoke-by-prefix', scopes: ['*:call'] });
    const shortLived = await keys.create('cli', { name: 'short-lived', scopes: ['*:call'], expiresIn: '1h' });
    expect((await keys.revoke('cli', byId.id)).status).toBe('revoked');
    const again = await keys.revoke('cli', byPrefix.key); // the full key works too (its prefix is used)
    expect(again).toMatchObject({ id: byPrefix.id, status: 'revoked' });
    const first = again.revokedAt;
    expect((await keys.revoke('cli', byPrefix.prefix)).revokedAt).toBe(first); // idempotent
    expect(ring.resolve(byId.key)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(ring.resolve(byPrefix.key)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(ring.resolve(shortLived.key).ok).toBe(true);
    clock += 3_600_000;
    expect(ring.resolve(shortLived.key)).toMatchObject({ ok: false, reason: 'expired' });
    expect((await keys.get(shortLived.prefix)).status).toBe('expired');
    await expect(keys.revoke('cli', 'zzzzzzzz')).rejects.toMatchObject({ code: 'not_found' });
    await expect(keys.revoke('cli', '00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'not_found' });
    await expect(keys.revoke('cli', "x' or 1=1 --")).rejects.toMatchObject({ code: 'not_found' });
  });

  it('records last use in memory and writes it in one flush, without a change-log row', async () => {
    const created = await keys.create('cli', { name: 'usage', scopes: ['*:list'] });
    await ring.flushUsage(); // the uses of earlier tests
    const changesBefore = (await t.database.query(`select count(*)::int as n from registry_changes where table_name = 'api_keys'`)).rows[0]!.n;
    clock += 1000;
    expect(ring.resolve(created.key).ok).toBe(true);
    const usedAt = clock;
    expect((await t.database.query('select last_used_at from api_keys where id = $1', [created.id])).rows[0]!.last_used_at).toBeNull();
    expect(await ring.flushUsage()).toBe(1);
    const { rows } = await t.database.query('select last_used_at from api_keys where id = $1', [created.id]);
    expect(new Date(rows[0]!.last_used_at as string).getTime()).toBe(usedAt);
    expect(await ring.flushUsage()).toBe(0); // nothing new
    // An older use flushed later (another replica) never moves it backwards.
    await store.touchUsage(new Map([[created.id, new Date(usedAt - 60_000)]]));
    expect(new Date((await keys.get(created.id)).lastUsedAt!).getTime()).toBe(usedAt);
    const changesAfter = (await t.database.query(`select count(*)::int as n from registry_changes where table_name = 'api_keys'`)).rows[0]!.n;
    expect(changesAfter).toBe(changesBefore);
  });

  it('stop() flushes pending usage', async () => {
    const created = await keys.create('cli', { name: 'flush-on-stop', scopes: ['*:list'] });
    const other = new KeyRing({ store, logger, now, flushEveryMs: 3_600_000 });
    await other.start();
    expect(other.resolve(created.key).ok).toBe(true);
    await other.stop();
    expect((await keys.get(created.prefix)).lastUsedAt).not.toBeNull();
  });

  it('a revocation or scope change made in SQL is seen after reload(), and logged as sql:<role>', async () => {
    const created = await keys.create('cli', { name: 'sql-edit', scopes: ['finance:call'] });
    expect(ring.resolve(created.key).ok).toBe(true);
    await t.database.query(`update api_keys set scopes = array['utility:list', 'not a scope'] where prefix = $1`, [created.prefix]);
    await ring.reload();
    const principal = (ring.resolve(created.key) as { principal: any }).principal;
    expect(principal.scopes).toEqual([{ server: 'utility', action: 'list' }]); // the bad one dropped, fail closed
    expect(logLines.some((line) => line.includes('API key scope ignored') && line.includes('not a scope'))).toBe(true);
    await t.database.query('update api_keys set revoked_at = now() where prefix = $1', [created.prefix]);
    expect(ring.resolve(created.key).ok).toBe(true); // the ring is a cache until told
    await Promise.all([ring.reload(), ring.reload(), ring.reload()]);
    expect(ring.resolve(created.key)).toMatchObject({ ok: false, reason: 'revoked' });
    const { rows } = await t.database.query(
      `select operation, actor from registry_changes where table_name = 'api_keys' and name = $1 order by id desc limit 1`,
      [created.prefix],
    );
    expect(rows[0]).toMatchObject({ operation: 'UPDATE', actor: expect.stringMatching(/^sql:/) });
  });
});
