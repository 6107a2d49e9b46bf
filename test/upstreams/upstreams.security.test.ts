// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.ts';
import { ADMIN_TOKEN, bearer, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { json, useToolport } from '../support/toolport.ts';

/** /upstreams is admin only, reads included; nothing it answers, logs or audits carries a secret's value. */
describe('/upstreams access', () => {
  const logs: string[] = [];
  const t = useToolport(
    'pglite',
    { ...KEYED_ENV, TOOLPORT_SECRET_VENDOR_TOKEN: 'vendor-secret-0a9b8c7d' },
    { logger: createLogger('debug', (line) => logs.push(line)) },
  );
  const base = () => t.app.urls.finance!;
  const send = (method: string, path: string, token: string | undefined, body?: unknown) =>
    fetch(`${base()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...bearer(token) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const definition = { id: 'vendor', server: 'finance', url: 'http://127.0.0.1:9/mcp', headers: { authorization: 'Bearer ${secret:VENDOR_TOKEN}' } };

  it('missing, wrong, revoked and out-of-scope credentials are refused; the admin token works', async () => {
    expect((await send('GET', '/upstreams', undefined)).status).toBe(401);
    expect((await send('GET', '/upstreams', 'tp_notakey0_0000000000000000000000000000')).status).toBe(401);
    const caller = await createKey(t.app, 'caller', ['finance:call']);
    expect((await send('GET', '/upstreams', caller.key)).status).toBe(403);
    expect((await send('POST', '/upstreams', caller.key, definition)).status).toBe(403);
    const admin = await createKey(t.app, 'ops', ['admin']);
    expect((await send('GET', '/upstreams', admin.key)).status).toBe(200);
    await t.app.toolport.access.keys.revoke('admin-token', admin.id);
    expect((await send('GET', '/upstreams', admin.key)).status).toBe(401);
    const created = await send('POST', '/upstreams', ADMIN_TOKEN, definition);
    expect(created.status).toBe(201);
    expect((await send('DELETE', '/upstreams/vendor', caller.key)).status).toBe(403);
    expect((await send('DELETE', '/upstreams/vendor', ADMIN_TOKEN)).status).toBe(200);
  });

  it('the secret value is in no answer, no row and no audit entry', async () => {
    await send('POST', '/upstreams', ADMIN_TOKEN, definition);
    const answers = [await send('GET', '/upstreams', ADMIN_TOKEN), await send('GET', '/upstreams/vendor', ADMIN_TOKEN)];
    for (const answer of answers) expect(JSON.stringify(await json(answer))).not.toContain('vendor-secret');
    const { rows } = await t.db.database.query('select * from upstreams');
    expect(JSON.stringify(rows)).not.toContain('vendor-secret');
    await t.app.toolport.access.audit.flush();
    const entries = await t.app.toolport.access.auditStore.list({ limit: 100 });
    expect(entries.entries.some((entry) => entry.action === 'upstream.create')).toBe(true);
    expect(JSON.stringify(entries)).not.toContain('vendor-secret');
    // The connection is tried (and fails: nothing listens on port 9), and logged without the value.
    expect(logs.some((line) => line.includes('upstream unreachable'))).toBe(true);
    expect(logs.join('\n')).not.toContain('vendor-secret');
  });
});
