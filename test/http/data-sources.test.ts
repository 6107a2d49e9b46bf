// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { networkInterfaces } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';

/**
 * /data-sources on real listeners over both backends: the built-in samples
 * row, create/list/get/patch/delete, every refusal naming its field, the
 * built-in source protected, admin only (reads too), and the secret's value —
 * set in this process's configuration — never in any response.
 */

const SECRET_VALUE = 'postgres://analyst:Hunter2-very-secret@db.internal.example:5432/analytics';
const LITERAL_URL = 'postgres://writer:Lit3ral-Passw0rd@10.1.2.3:5432/prod';
const TOKEN = 'data-sources-admin-token-0123456789';

const bodies: string[] = [];

/** fetch that keeps every response body, so the last test can check none carries the secret. */
async function send(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

const paths = (body: any) => (body.error.details ?? []).map((detail: any) => detail.path);

describe.each(backends)('REST /data-sources (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_SECRET_ANALYTICS_DB_URL: SECRET_VALUE });
  let utility: string;
  let finance: string;
  beforeAll(() => {
    utility = t.app.urls.utility!;
    finance = t.app.urls.finance!;
  });

  describe('happy paths', () => {
    it('the built-in samples source exists after migrate, read only, without a URL', async () => {
      const rows = await t.db.database.query(`select id, url, access, enabled from data_sources`);
      expect(rows.rows).toEqual([{ id: 'samples', url: null, access: 'read_only', enabled: true }]);
      const listed = await send(`${utility}/data-sources`);
      expect(listed.status).toBe(200);
      expect(listed.body.count).toBe(1);
      expect(listed.body.dataSources[0]).toMatchObject({
        id: 'samples',
        builtIn: true,
        kind: 'postgres',
        url: null,
        secret: null,
        secretSet: null,
        access: 'read_only',
        poolSize: 5,
        statementTimeoutMs: 5000,
        rowLimit: 1000,
        enabled: true,
        description: expect.stringMatching(/sample_stock_quotes, sample_financial_news, sample_weather/),
      });
    });

    it('creates a source (defaults filled, reference shown, secret set), listed on every listener', async () => {
      const created = await send(`${utility}/data-sources`, 'POST', {
        id: 'analytics',
        url: '${secret:ANALYTICS_DB_URL}',
        description: 'BI warehouse',
        poolSize: 3,
      });
      expect(created.status, created.text).toBe(201);
      expect(created.headers.get('location')).toBe('/data-sources/analytics');
      expect(created.body).toMatchObject({
        id: 'analytics',
        url: '${secret:ANALYTICS_DB_URL}',
        secret: 'ANALYTICS_DB_URL',
        secretSet: true,
        builtIn: false,
        access: 'read_only',
        poolSize: 3,
        statementTimeoutMs: 5000,
        rowLimit: 1000,
        enabled: true,
      });
      expect(Date.parse(created.body.createdAt)).not.toBeNaN();
      const unset = await send(`${utility}/data-sources`, 'POST', { id: 'orders', url: '${secret:ORDERS_DB_URL}', access: 'read_write', enabled: false });
      expect(unset.body).toMatchObject({ secret: 'ORDERS_DB_URL', secretSet: false, access: 'read_write', enabled: false });

      const listed = await send(`${finance}/data-sources`);
      expect(listed.body.dataSources.map((source: any) => source.id)).toEqual(['analytics', 'orders', 'samples']);
      const one = await send(`${finance}/data-sources/analytics`);
      expect(one.status).toBe(200);
      expect(one.body.description).toBe('BI warehouse');
    });

    it('patches only the fields sent; a patch that changes nothing writes nothing; the actor is recorded', async () => {
      const patched = await send(`${utility}/data-sources/analytics`, 'PATCH', { rowLimit: 50, access: 'read_write', statementTimeoutMs: 2000 });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body).toMatchObject({ rowLimit: 50, access: 'read_write', statementTimeoutMs: 2000, poolSize: 3, description: 'BI warehouse' });
      const count = async () =>
        (await t.db.database.query(`select count(*)::int as n from registry_changes where table_name = 'data_sources' and name = 'analytics'`)).rows[0]!.n;
      const before = await count();
      const same = await send(`${utility}/data-sources/analytics`, 'PATCH', { rowLimit: 50, id: 'analytics' });
      expect(same.status).toBe(200);
      expect(await count()).toBe(before);
      const changes = await t.db.database.query(
        `select server_id, name, operation, actor from registry_changes where table_name = 'data_sources' and name = 'analytics' order by id`,
      );
      expect(changes.rows).toEqual([
        { server_id: '', name: 'analytics', operation: 'INSERT', actor: 'local' },
        { server_id: '', name: 'analytics', operation: 'UPDATE', actor: 'local' },
      ]);
    });

    it('the built-in source takes description, enabled, rowLimit and statementTimeoutMs', async () => {
      const patched = await send(`${utility}/data-sources/samples`, 'PATCH', {
        enabled: false,
        rowLimit: 10,
        statementTimeoutMs: 1000,
        description: 'samples, edited',
      });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.body).toMatchObject({ enabled: false, rowLimit: 10, statementTimeoutMs: 1000, description: 'samples, edited', url: null });
      expect((await send(`${utility}/data-sources/samples`, 'PATCH', { enabled: true })).body.enabled).toBe(true);
    });

    it('deletes a source no tool uses', async () => {
      const deleted = await send(`${utility}/data-sources/orders`, 'DELETE');
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ deleted: true, id: 'orders' });
      expect((await send(`${finance}/data-sources/orders`)).status).toBe(404);
      const rows = await t.db.database.query(`select operation, actor from registry_changes where name = 'orders' order by id`);
      expect(rows.rows.at(-1)).toEqual({ operation: 'DELETE', actor: 'local' });
    });
  });

  describe('refusals', () => {
    it('names every bad field with its path and reason, and writes nothing', async () => {
      const bad = await send(`${utility}/data-sources`, 'POST', {
        id: 'Bad Id',
        url: '${secret:X}',
        poolSize: 0,
        statementTimeoutMs: 'fast',
        rowLimit: 1.5,
        access: 'admin',
        enabled: 'yes',
        kind: 'mysql',
        colour: 'blue',
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('bad_request');
      expect(paths(bad.body).sort()).toEqual(['/access', '/colour', '/enabled', '/id', '/kind', '/poolSize', '/rowLimit', '/statementTimeoutMs']);
      const byPath = Object.fromEntries(bad.body.error.details.map((detail: any) => [detail.path, detail.message]));
      expect(byPath['/poolSize']).toBe('must be at least 1');
      expect(byPath['/rowLimit']).toBe('must be an integer');
      expect(byPath['/access']).toBe('must be one of read_only, read_write');
      expect(byPath['/colour']).toMatch(/is not a field of a data source/);
      expect(bad.body.error.message).toMatch(/^Invalid data source: \/\w+ /);

      const missing = await send(`${utility}/data-sources`, 'POST', {});
      expect(missing.body.error.details).toEqual([
        { path: '/id', message: 'is required' },
        { path: '/url', message: 'is required' },
      ]);
      for (const body of [[], 'text', null]) {
        const notObject = await send(`${utility}/data-sources`, 'POST', body);
        expect(notObject.status).toBe(400);
        expect(paths(notObject.body)).toEqual(['/']);
      }
      const patch = await send(`${utility}/data-sources/analytics`, 'PATCH', { poolSize: 101, id: 'renamed' });
      expect(patch.status).toBe(400);
      expect(paths(patch.body)).toEqual(['/id']);
      expect((await send(`${utility}/data-sources/analytics`, 'PATCH', { poolSize: 101 })).body.error.details).toEqual([
        { path: '/poolSize', message: 'must be at most 100' },
      ]);
      const count = await t.db.database.query(`select count(*)::int as n from data_sources where id not in ('samples', 'analytics')`);
      expect(count.rows[0]!.n).toBe(0);
    });

    it('a literal connection URL is refused with a pointer to references, and never echoed', async () => {
      for (const [method, path, body] of [
        ['POST', '/data-sources', { id: 'literal', url: LITERAL_URL }],
        ['PATCH', '/data-sources/analytics', { url: LITERAL_URL }],
        ['POST', '/data-sources', { id: 'literal', url: 'writer:Lit3ral-Passw0rd@10.1.2.3/prod' }],
      ] as const) {
        const refused = await send(`${utility}${path}`, method, body);
        expect(refused.status).toBe(400);
        expect(refused.body.error.details).toEqual([{ path: '/url', message: expect.stringMatching(/must be a secret reference such as \$\{secret:/) }]);
        expect(refused.body.error.message).toMatch(/a literal connection URL is never stored/);
        expect(refused.text).not.toContain('Lit3ral-Passw0rd');
        expect(refused.text).not.toContain('10.1.2.3');
      }
      for (const url of ['${secret:A}${secret:B}', 'x ${secret:A}', '${secret:bad-name}', '${secret:A']) {
        const refused = await send(`${utility}/data-sources`, 'POST', { id: 'twice', url });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.details[0].message).toMatch(/exactly one \$\{secret:NAME\} reference/);
      }
      const stored = await t.db.database.query(`select count(*)::int as n from data_sources where url like '%Lit3ral%' or id in ('literal', 'twice')`);
      expect(stored.rows[0]!.n).toBe(0);
    });

    it('duplicate id → 409; unknown or impossible id → 404', async () => {
      const duplicate = await send(`${utility}/data-sources`, 'POST', { id: 'analytics', url: '${secret:OTHER}' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.error).toMatchObject({ code: 'conflict', message: 'A data source "analytics" already exists' });
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const unknown = await send(`${utility}/data-sources/nowhere`, method, method === 'PATCH' ? { enabled: false } : undefined);
        expect(unknown.status, method).toBe(404);
        expect(unknown.body.error.message).toBe('No data source "nowhere"');
      }
      const impossible = await send(`${utility}/data-sources/Not%20An%20Id`);
      expect(impossible.status).toBe(404);
      expect(impossible.body.error.message).toMatch(/ids are 1–64 of a–z/);
    });

    it('a source still named by tools is not deleted: 409 naming them (at most 10)', async () => {
      await send(`${utility}/data-sources`, 'POST', { id: 'busy', url: '${secret:BUSY_DB}' });
      const values = Array.from(
        { length: 12 },
        (_, i) => `('utility', 'busy_${String(i).padStart(2, '0')}', 'uses busy', '{"type":"object"}', 'sql', '{"source":"busy"}')`,
      );
      await t.db.database.query(`INSERT INTO tools (server_id, name, description, input_schema, handler, handler_config) VALUES ${values.join(', ')}`);
      const refused = await send(`${utility}/data-sources/busy`, 'DELETE');
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/^Data source "busy" is used by 12 tools \(utility\/busy_00, .*utility\/busy_09 and 2 more\)/);
      expect(refused.body.error.toolCount).toBe(12);
      expect(refused.body.error.tools).toHaveLength(10);
      expect(refused.body.error.tools[0]).toEqual({ serverId: 'utility', name: 'busy_00' });
      expect((await send(`${utility}/data-sources/busy`)).status).toBe(200);
      await t.db.database.query(`DELETE FROM tools WHERE handler_config->>'source' = 'busy'`);
      expect((await send(`${utility}/data-sources/busy`, 'DELETE')).status).toBe(200);
    });

    it('the built-in source cannot be added, removed, or repointed', async () => {
      const add = await send(`${utility}/data-sources`, 'POST', { id: 'samples', url: '${secret:X}' });
      expect(add.status).toBe(409);
      expect(add.body.error.message).toMatch(/built-in source over the sample tables: it always exists/);
      const remove = await send(`${utility}/data-sources/samples`, 'DELETE');
      expect(remove.status).toBe(409);
      expect(remove.body.error.message).toMatch(/cannot be removed/);
      const repoint = await send(`${utility}/data-sources/samples`, 'PATCH', { url: '${secret:X}', access: 'read_write', poolSize: 2, rowLimit: 5 });
      expect(repoint.status).toBe(400);
      expect(paths(repoint.body)).toEqual(['/url', '/access', '/poolSize']);
      expect(repoint.body.error.message).toMatch(/cannot be changed on the built-in "samples" source/);
      const row = await t.db.database.query(`select url, access, pool_size, row_limit from data_sources where id = 'samples'`);
      expect(row.rows[0]).toEqual({ url: null, access: 'read_only', pool_size: 5, row_limit: 10 });
    });
  });

  it('no response carried the secret value', () => {
    expect(bodies.length).toBeGreaterThan(20);
    for (const text of bodies) {
      expect(text).not.toContain('Hunter2-very-secret');
      expect(text).not.toContain('db.internal.example');
    }
  });
});

describe.each(backends)('REST /data-sources with TOOLPORT_ADMIN_TOKEN (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_ADMIN_TOKEN: TOKEN, TOOLPORT_SECRET_ANALYTICS_DB_URL: SECRET_VALUE });

  it('every method, reads included, needs the token: missing or wrong → 401, and nothing is written', async () => {
    const utility = t.app.urls.utility!;
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: `Basic ${TOKEN}` }] as Record<string, string>[]) {
      for (const [method, path, body] of [
        ['GET', '/data-sources', undefined],
        ['GET', '/data-sources/samples', undefined],
        ['POST', '/data-sources', { id: 'sneaky', url: '${secret:ANALYTICS_DB_URL}' }],
        ['PATCH', '/data-sources/samples', { enabled: false }],
        ['DELETE', '/data-sources/samples', undefined],
      ] as const) {
        const refused = await send(`${utility}${path}`, method, body, headers);
        expect(refused.status, `${method} ${path}`).toBe(401);
        expect(refused.body.error.code).toBe('unauthorized');
        expect(refused.text).not.toContain(TOKEN);
      }
    }
    const rows = await t.db.database.query(`select count(*)::int as n from data_sources where id = 'sneaky' or not enabled`);
    expect(rows.rows[0]!.n).toBe(0);
  });

  it('with the token: the writes are recorded as admin-token', async () => {
    const utility = t.app.urls.utility!;
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await send(`${utility}/data-sources`, 'GET', undefined, auth)).status).toBe(200);
    const created = await send(`${utility}/data-sources`, 'POST', { id: 'analytics', url: '${secret:ANALYTICS_DB_URL}' }, auth);
    expect(created.status).toBe(201);
    expect(created.body.secretSet).toBe(true);
    expect(created.text).not.toContain('Hunter2-very-secret');
    const actor = await t.db.database.query(`select actor from registry_changes where table_name = 'data_sources' and name = 'analytics'`);
    expect(actor.rows).toEqual([{ actor: 'admin-token' }]);
  });
});

/** This machine's first non-loopback IPv4 address, to call a wildcard-bound listener from off loopback. */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const item of list ?? []) if (item.family === 'IPv4' && !item.internal) return item.address;
  }
  return undefined;
}

const external = externalAddress();

describe.skipIf(!external).each(backends)('REST /data-sources without a token, off loopback (%s)', (backend) => {
  // 0.0.0.0 alone means TOOLPORT_AUTH=required; local-open keeps loopback callers in without a credential.
  const t = useToolport(backend, { TOOLPORT_HOST: '0.0.0.0', TOOLPORT_AUTH: 'local-open' });

  it('a caller from a non-loopback address without a credential is refused (401) for reads and writes; loopback callers are served', async () => {
    const port = new URL(t.app.urls.utility!).port;
    for (const [method, body] of [
      ['GET', undefined],
      ['POST', { id: 'remote', url: '${secret:REMOTE_DB}' }],
    ] as const) {
      const refused = await send(`http://${external}:${port}/data-sources`, method, body);
      expect(refused.status, method).toBe(401);
      expect(refused.body.error.code).toBe('unauthorized');
    }
    expect((await send(`http://127.0.0.1:${port}/data-sources`)).status).toBe(200);
    const rows = await t.db.database.query(`select count(*)::int as n from data_sources where id = 'remote'`);
    expect(rows.rows[0]!.n).toBe(0);
  });
});
