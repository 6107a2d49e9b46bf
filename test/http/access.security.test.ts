import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKey, hashSecret } from '../../src/auth/key-format.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { ADMIN_TOKEN, bearer, REQUIRED_ENV, ROUTE_PROBES, restClient } from './access-support.ts';

/**
 * Who may reach the REST routes at all, against a real Toolport with
 * TOOLPORT_AUTH=required (real listeners, real fetch): every route group
 * refuses a missing, malformed, wrong, revoked or expired credential with a
 * 401 in the error envelope and the right WWW-Authenticate, writes nothing,
 * and never shows a key or its hash — in a body or in the log (a capturing
 * logger). /health and /ready stay open to load balancers; every answer
 * carries X-Request-Id.
 */
describe.each(backends)('REST access: credentials (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let finance: string;
  const logLines: string[] = [];
  const { send, texts } = restClient();
  const secrets: string[] = [];
  let revoked: string;
  let expired: string;
  let utilityKey: string;

  const keyOf = async (name: string, scopes: string[], extra: { expiresIn?: string; rate?: string } = {}) => {
    const created = await app.toolport.access.keys.create('admin-token', { name, scopes, ...extra });
    const secret = created.key.split('_')[2]!;
    secrets.push(secret, hashSecret(secret).toString('hex'));
    return created;
  };

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db, REQUIRED_ENV, { logger: createLogger('debug', (line) => logLines.push(line)) });
    finance = app.urls.finance!;
    const gone = await keyOf('revoked-agent', ['finance:call']);
    await app.toolport.access.keys.revoke('admin-token', gone.id);
    revoked = gone.key;
    expired = (await keyOf('short-lived', ['finance:call'], { expiresIn: '1s' })).key;
    utilityKey = (await keyOf('utility-agent', ['utility:call'])).key;
    // The key ring expires the key by the clock: wait until it is past its time.
    await vi.waitFor(async () => expect((await send(`${finance}/tools`, 'GET', undefined, bearer(expired))).status).toBe(401), {
      timeout: 5000,
      interval: 200,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
    const everything = `${texts.join('\n')}\n${logLines.join('\n')}`;
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [...secrets, ADMIN_TOKEN]) expect(everything).not.toContain(secret);
  });

  const refusals = () => [
    { label: 'no credential', headers: {}, challenge: 'Bearer', reason: 'missing', message: /needs a credential/ },
    {
      label: 'another scheme',
      headers: { authorization: `Basic ${ADMIN_TOKEN}` },
      challenge: 'Bearer',
      reason: 'malformed',
      message: /Malformed Authorization/,
    },
    { label: 'a cut key', headers: bearer('tp_abcdefgh_short'), challenge: 'Bearer error="invalid_token"', reason: 'malformed', message: /./ },
    { label: 'an empty bearer', headers: { authorization: 'Bearer ' }, challenge: 'Bearer', reason: 'malformed', message: /Malformed Authorization/ },
    {
      label: 'a wrong token',
      headers: bearer('not-the-admin-token-at-all'),
      challenge: 'Bearer error="invalid_token"',
      reason: 'unknown',
      message: /not a valid API key/,
    },
    { label: 'a made-up key', headers: bearer(generateKey().key), challenge: 'Bearer error="invalid_token"', reason: 'unknown', message: /not valid/ },
    { label: 'a revoked key', headers: bearer(revoked), challenge: 'Bearer error="invalid_token"', reason: 'revoked', message: /revoked/ },
    { label: 'an expired key', headers: bearer(expired), challenge: 'Bearer error="invalid_token"', reason: 'expired', message: /expired/ },
  ];

  it('every route group refuses every bad or missing credential with 401, the envelope and WWW-Authenticate — and writes nothing', async () => {
    const keysBefore = (await app.toolport.access.keys.list()).length;
    for (const refusal of refusals()) {
      for (const probe of ROUTE_PROBES) {
        const answer = await send(`${finance}${probe.path}`, probe.method, probe.body, refusal.headers);
        const where = `${refusal.label}: ${probe.method} ${probe.path}`;
        expect(answer.status, where).toBe(401);
        expect(answer.headers.get('www-authenticate'), where).toBe(refusal.challenge);
        expect(answer.body.error, where).toMatchObject({ code: 'unauthorized', reason: refusal.reason, server: 'finance' });
        expect(answer.body.error.message, where).toMatch(refusal.message);
        expect(answer.headers.get('x-request-id'), where).toMatch(/^[0-9a-f-]{36}$/);
        expect(Object.keys(answer.body), where).toEqual(['error']);
      }
    }
    const tools = await db.database.query(`select count(*)::int as n from tools where name like 'probe%' or description = 'hijacked'`);
    expect(tools.rows[0]!.n).toBe(0);
    const news = await db.database.query(`select count(*)::int as n from tools where name = 'get_financial_news'`);
    expect(news.rows[0]!.n).toBe(1);
    const sources = await db.database.query(`select count(*)::int as n from data_sources where id = 'probe-source'`);
    expect(sources.rows[0]!.n).toBe(0);
    expect((await app.toolport.access.keys.list()).length).toBe(keysBefore);
  });

  it('a revoked key is refused the moment revoke returns (the process reloads its key ring)', async () => {
    const key = await keyOf('soon-revoked', ['finance:list']);
    expect((await send(`${finance}/tools`, 'GET', undefined, bearer(key.key))).status).toBe(200);
    await app.toolport.access.keys.revoke('admin-token', key.id);
    const refused = await send(`${finance}/tools`, 'GET', undefined, bearer(key.key));
    expect(refused.status).toBe(401);
    expect(refused.body.error.reason).toBe('revoked');
  });

  it('a key for another server: 403 naming finance:list on every read, call, /info and /handlers; it works on its own server', async () => {
    for (const probe of ROUTE_PROBES.filter((p) => ['reads', 'call', 'info', 'handlers'].includes(p.group))) {
      const answer = await send(`${finance}${probe.path}`, probe.method, probe.body, bearer(utilityKey));
      const where = `${probe.method} ${probe.path}`;
      expect(answer.status, where).toBe(403);
      expect(answer.body.error, where).toMatchObject({ code: 'forbidden', scope: 'finance:list', server: 'finance' });
      expect(answer.body.error.message, where).toContain('"finance:list"');
      expect(answer.body.error.message, where).toContain('utility-agent');
      expect(answer.headers.get('www-authenticate'), where).toBe('Bearer error="insufficient_scope", scope="finance:list"');
    }
    // Writes of another server name that server's write scope; admin routes name admin.
    const write = await send(`${finance}/tools`, 'POST', { name: 'probe_tool', description: 'x', handler: 'get_time' }, bearer(utilityKey));
    expect(write.status).toBe(403);
    expect(write.body.error.scope).toBe('finance:write');
    expect(write.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="finance:write"');
    const keys = await send(`${finance}/keys`, 'GET', undefined, bearer(utilityKey));
    expect(keys.status).toBe(403);
    expect(keys.body.error.scope).toBe('admin');
    const own = await send(`${app.urls.utility}/tools/call`, 'POST', { name: 'get_time', arguments: { timezone: 'UTC' } }, bearer(utilityKey));
    expect(own.status).toBe(200);
  });

  it('/health and /ready need no credential (load balancers); /health shows the audit queue', async () => {
    const health = await send(`${finance}/health`);
    expect(health.status).toBe(200);
    expect(health.body.audit).toEqual({ queued: expect.any(Number), dropped: 0 });
    expect(health.headers.get('x-request-id')).toBeTruthy();
    expect((await send(`${finance}/ready`)).status).toBe(200);
  });

  it('X-Request-Id: a well-formed one from the client is kept (and is the audit entry request id); a bad one is replaced', async () => {
    const admin = bearer(ADMIN_TOKEN);
    const call = await send(
      `${finance}/tools/call`,
      'POST',
      { name: 'get_stock_price', arguments: { symbol: 'MSFT' } },
      { ...admin, 'x-request-id': 'trace-abc-123' },
    );
    expect(call.status).toBe(200);
    expect(call.headers.get('x-request-id')).toBe('trace-abc-123');
    const bad = await send(`${finance}/tools`, 'GET', undefined, { ...admin, 'x-request-id': 'has spaces; and more' });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await send(`${finance}/no/such/route`, 'GET', undefined, admin);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBeTruthy();
    await app.toolport.access.audit.flush();
    const entries = (await app.toolport.access.auditStore.list({ actor: 'admin-token', action: 'call', limit: 10 })).entries;
    expect(entries.find((entry) => entry.requestId === 'trace-abc-123')).toMatchObject({ tool: 'get_stock_price', outcome: 'ok', serverId: 'finance' });
    // /mcp is behind the same middleware: its answers carry one too.
    const mcp = await fetch(`${finance}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get('x-request-id')).toBeTruthy();
    await mcp.text();
  });

  it('GET /keys and /audit show no key and no hash (the afterAll checks every body and log line for them)', async () => {
    const keys = await send(`${finance}/keys`, 'GET', undefined, bearer(ADMIN_TOKEN));
    expect(keys.status).toBe(200);
    expect(keys.body.count).toBeGreaterThanOrEqual(4);
    for (const key of keys.body.keys) {
      expect(key).not.toHaveProperty('key');
      expect(key).not.toHaveProperty('secretHash');
      expect(key.prefix).toMatch(/^[a-z0-9]{8}$/);
    }
    const audit = await send(`${finance}/audit?limit=1000`, 'GET', undefined, bearer(ADMIN_TOKEN));
    expect(audit.status).toBe(200);
    expect(audit.body.entries.some((entry: { action: string }) => entry.action === 'key.create' || entry.action === 'call')).toBe(true);
    // A key created over REST: in the 201 answer once (no-store), never again.
    const created = await send(`${finance}/keys`, 'POST', { name: 'rest-made', scopes: ['finance:list'] }, bearer(ADMIN_TOKEN));
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const secret = (created.body.key as string).split('_')[2]!;
    texts.pop(); // the one answer that must carry it
    secrets.push(secret, hashSecret(secret).toString('hex'));
    expect((await send(`${finance}/tools`, 'GET', undefined, bearer(created.body.key))).status).toBe(200);
    expect((await send(`${finance}/keys/${created.body.id}`, 'GET', undefined, bearer(ADMIN_TOKEN))).body).not.toHaveProperty('key');
    expect((await send(`${finance}/audit?actor=admin-token`, 'GET', undefined, bearer(ADMIN_TOKEN))).status).toBe(200);
  });
});

describe.each(backends)('REST access: the log never holds a key (%s)', (backend) => {
  // The key's secret is sent in a URL too (refused): access logs and warnings must not echo it.
  let db: TestDatabase;
  let app: RunningToolport;
  const logLines: string[] = [];
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db, REQUIRED_ENV, { logger: createLogger('debug', (line) => logLines.push(line)) });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
  });

  it('a key used, revoked and put in a path appears nowhere in the log', async () => {
    const { send, texts } = restClient();
    const created = await app.toolport.access.keys.create('admin-token', { name: 'logged', scopes: ['finance:call'] });
    const finance = app.urls.finance!;
    expect((await send(`${finance}/tools/call`, 'POST', { name: 'get_stock_price', arguments: { symbol: 'AAPL' } }, bearer(created.key))).status).toBe(200);
    expect((await send(`${finance}/keys/${created.key}`, 'DELETE', undefined, bearer(ADMIN_TOKEN))).status).toBe(400);
    await app.toolport.access.keys.revoke('admin-token', created.id);
    expect((await send(`${finance}/tools`, 'GET', undefined, bearer(created.key))).status).toBe(401);
    await app.toolport.access.audit.flush();
    const secret = created.key.split('_')[2]!;
    const everything = `${logLines.join('\n')}\n${texts.join('\n')}`;
    expect(logLines.some((line) => line.includes('api key created'))).toBe(true);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(hashSecret(secret).toString('hex'));
  });
});
