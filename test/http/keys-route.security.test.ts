import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { KeyRing } from '../../src/auth/key-ring.ts';
import type { AuthPolicy } from '../../src/auth/policy.ts';
import { ApiKeyStore } from '../../src/db/api-key-store.ts';
import type { RestEnv } from '../../src/http/env.ts';
import { credential } from '../../src/http/middleware/credential.ts';
import { keysRoutes } from '../../src/http/routes/keys.ts';
import { AppError, errorBody } from '../../src/shared/errors.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { accessFor } from './access-support.ts';

const ADMIN_TOKEN = 'test-admin-token-0123456789';

interface Listener {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** /keys behind the credential middleware, with the REST app's error envelope, on a real socket. */
async function listen(options: { policy: AuthPolicy; adminToken: string | undefined; ring: KeyRing; keys: ApiKeys; hostname?: string }): Promise<Listener> {
  const app = new Hono<RestEnv>();
  app.use('*', credential(accessFor({ policy: options.policy, adminToken: options.adminToken, keys: options.ring }), { server: 'test' }));
  app.route('/keys', keysRoutes({ keys: options.keys, limits: { maxBytes: 65_536, maxDepth: 16 } }));
  app.onError((thrown, c) => {
    const error = thrown instanceof AppError ? thrown : new AppError('internal', 'Internal error');
    return c.json(errorBody(error, 'test'), error.status as 400);
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: options.hostname ?? '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(backends)('/keys security (%s)', (backend) => {
  let t: TestDatabase;
  const logLines: string[] = [];
  const logger = createLogger('debug', (line) => logLines.push(line));
  let ring: KeyRing;
  let keys: ApiKeys;
  let required: Listener;
  const seen: string[] = []; // every key and token sent, checked against every body and log line
  const bodies: string[] = [];

  const request = async (path: string, init: RequestInit = {}, base = () => required.url) => {
    const response = await fetch(`${base()}${path}`, init);
    const text = await response.text();
    bodies.push(text);
    return {
      status: response.status,
      challenge: response.headers.get('www-authenticate'),
      headers: response.headers,
      body: text ? JSON.parse(text) : undefined,
    };
  };

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    const store = new ApiKeyStore(t.database.db);
    ring = new KeyRing({ store, logger });
    keys = new ApiKeys({ store, logger, onChange: () => ring.reload() });
    await ring.start();
    required = await listen({ policy: 'required', adminToken: ADMIN_TOKEN, ring, keys });
    seen.push(ADMIN_TOKEN);
  });
  afterAll(async () => {
    await required?.close();
    await ring?.stop();
    await t?.dispose();
    const everything = bodies.join('\n') + logLines.join('\n');
    for (const secret of seen) expect(everything).not.toContain(secret.startsWith('tp_') ? secret.split('_')[2] : secret);
  });

  it('no credential: 401 with WWW-Authenticate: Bearer and the error body', async () => {
    const response = await request('/keys');
    expect(response.status).toBe(401);
    expect(response.challenge).toBe('Bearer');
    expect(response.body).toEqual({
      error: {
        code: 'unauthorized',
        message: expect.stringContaining('needs a credential'),
        reason: 'missing',
        server: 'test',
        timestamp: expect.any(String),
      },
    });
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer two words'], ['Token abc'], ['Bearer \u00e9t\u00e9']])(
    'malformed header %j: 401 malformed',
    async (header) => {
      const response = await request('/keys', { headers: { authorization: header } });
      expect(response.status).toBe(401);
      expect(response.challenge).toBe('Bearer');
      expect(response.body.error).toMatchObject({ code: 'unauthorized', reason: 'malformed' });
    },
  );

  it('a wrong key, a malformed key and a wrong token: 401 invalid_token', async () => {
    const wrong = `tp_abcdefgh_${'b'.repeat(32)}`;
    seen.push(wrong);
    for (const [token, reason] of [
      [wrong, 'unknown'],
      ['tp_short', 'malformed'],
      ['not-the-admin-token-0123456789', 'unknown'],
    ] as const) {
      const response = await request('/keys', { headers: bearer(token) });
      expect(response.status).toBe(401);
      expect(response.challenge).toBe('Bearer error="invalid_token"');
      expect(response.body.error).toMatchObject({ code: 'unauthorized', reason });
    }
  });

  it('the admin token may create, list and revoke; the key is in the create answer only, with no-store', async () => {
    const created = await request('/keys', {
      method: 'POST',
      headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci-agent', scopes: ['finance:call', 'utility:list'], expiresIn: '30d', rate: '600/min' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(created.headers.get('location')).toBe(`/keys/${created.body.id}`);
    expect(created.body).toMatchObject({ name: 'ci-agent', scopes: ['finance:call', 'utility:list'], rateLimit: '600/min', status: 'active' });
    const key: string = created.body.key;
    seen.push(key);
    bodies.pop(); // the one answer allowed to carry it
    const listed = await request('/keys', { headers: bearer(ADMIN_TOKEN) });
    expect(listed.status).toBe(200);
    expect(listed.body.count).toBe(1);
    expect(listed.body.keys[0]).not.toHaveProperty('key');
    expect(JSON.stringify(listed.body)).not.toMatch(/hash/i);
    const one = await request(`/keys/${created.body.prefix}`, { headers: bearer(ADMIN_TOKEN) });
    expect(one.body.id).toBe(created.body.id);
  });

  it('a key without admin: 403 naming the scope needed, for reads and writes alike', async () => {
    const agent = await keys.create('test', { name: 'agent', scopes: ['*:call', '*:write'] });
    seen.push(agent.key);
    for (const init of [
      {},
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","scopes":["admin"]}' },
      { method: 'DELETE' },
    ]) {
      const response = await request(init.method === 'DELETE' ? `/keys/${agent.prefix}` : '/keys', {
        ...init,
        headers: { ...(init.headers ?? {}), ...bearer(agent.key) },
      });
      expect(response.status).toBe(403);
      expect(response.challenge).toBe('Bearer error="insufficient_scope", scope="admin"');
      expect(response.body.error).toEqual({
        code: 'forbidden',
        message: expect.stringContaining('needs the scope "admin"'),
        scope: 'admin',
        server: 'test',
        timestamp: expect.any(String),
      });
    }
    expect((await keys.get(agent.prefix)).status).toBe('active');
  });

  it('a key with the admin scope may manage keys; once revoked over REST it is refused at once', async () => {
    const admin = await keys.create('test', { name: 'second-admin', scopes: ['admin'] });
    seen.push(admin.key);
    expect((await request('/keys', { headers: bearer(admin.key) })).status).toBe(200);
    const revoked = await request(`/keys/${admin.id}`, { method: 'DELETE', headers: bearer(ADMIN_TOKEN) });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ revoked: true, id: admin.id, status: 'revoked' });
    const after = await request('/keys', { headers: bearer(admin.key) });
    expect(after.status).toBe(401);
    expect(after.challenge).toBe('Bearer error="invalid_token"');
    expect(after.body.error).toMatchObject({ reason: 'revoked', message: 'The API key has been revoked' });
  });

  it('an expired key: 401 expired', async () => {
    const old = await keys.create('test', { name: 'old', scopes: ['admin'], expiresIn: '1h' });
    seen.push(old.key);
    await t.database.query(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [old.id]);
    await ring.reload();
    const response = await request('/keys', { headers: bearer(old.key) });
    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ reason: 'expired', message: 'The API key has expired' });
  });

  it('a whole key in a URL is refused, and revoking an unknown key is a 404', async () => {
    const victim = await keys.create('test', { name: 'victim', scopes: ['*:list'] });
    seen.push(victim.key);
    expect((await request(`/keys/${victim.key}`, { method: 'DELETE', headers: bearer(ADMIN_TOKEN) })).status).toBe(400);
    expect((await request('/keys/zzzzzzzz', { method: 'DELETE', headers: bearer(ADMIN_TOKEN) })).status).toBe(404);
    const bad = await request('/keys', {
      method: 'POST',
      headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: ['finance:cal', 'finance:write:get_*'] }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toEqual(['/scopes/0', '/scopes/1']);
  });

  it('local-open: a loopback caller without a credential is `local` — list and call, writes as before keys', async () => {
    const withToken = await listen({ policy: 'local-open', adminToken: ADMIN_TOKEN, ring, keys });
    const withoutToken = await listen({ policy: 'local-open', adminToken: undefined, ring, keys });
    try {
      // With TOOLPORT_ADMIN_TOKEN set, admin stays the token's: the local caller (no credential yet) gets 401 naming the scope, as writes did before keys.
      const refused = await request('/keys', {}, () => withToken.url);
      expect(refused.status).toBe(401);
      expect(refused.challenge).toBe('Bearer');
      expect(refused.body.error.scope).toBe('admin');
      // Without one, loopback callers may write (and manage keys), as they could before.
      expect((await request('/keys', {}, () => withoutToken.url)).status).toBe(200);
      // A wrong credential is refused, never downgraded to local.
      expect((await request('/keys', { headers: bearer('tp_nope') }, () => withoutToken.url)).status).toBe(401);
    } finally {
      await withToken.close();
      await withoutToken.close();
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

  it.skipIf(!external)('local-open: a caller from another address needs a credential', async () => {
    const open = await listen({ policy: 'local-open', adminToken: undefined, ring, keys, hostname: '0.0.0.0' });
    try {
      const response = await request('/keys', {}, () => `http://${external}:${open.port}`);
      expect(response.status).toBe(401);
      expect(response.challenge).toBe('Bearer');
      expect(response.body.error.message).toContain('other machines need a credential');
      expect((await request('/keys', { headers: bearer(ADMIN_TOKEN) }, () => `http://${external}:${open.port}`)).status).toBe(401); // no admin token configured there
    } finally {
      await open.close();
    }
  });
});
