import { describe, expect, it } from 'vitest';
import { authPolicy } from '../../src/auth/policy.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { ADMIN_TOKEN, bearer, restClient } from './access-support.ts';

/**
 * The defaults: listeners on 127.0.0.1 and TOOLPORT_AUTH unset mean
 * local-open — a loopback caller without a credential lists and calls as
 * before keys; writes are open to it while TOOLPORT_ADMIN_TOKEN is unset
 * and the token's alone once it is set (401 naming the scope). A bind off
 * loopback turns the policy to required (the process test is
 * test/lifecycle/auth-policy-process.test.ts).
 */
const tool = (name: string) => ({ name, description: 'local-open probe', handler: 'get_time' });

describe.each(backends)('REST local-open with TOOLPORT_ADMIN_TOKEN (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN });
  const { send } = restClient();

  it('loopback without a credential lists and calls; writes and /keys need the token (401 naming the scope)', async () => {
    const finance = t.app.urls.finance!;
    expect((await send(`${finance}/tools`)).status).toBe(200);
    expect((await send(`${finance}/tools/call`, 'POST', { name: 'get_stock_price', arguments: { symbol: 'AAPL' } })).status).toBe(200);
    const write = await send(`${finance}/tools`, 'POST', tool('local_probe'));
    expect(write.status).toBe(401);
    expect(write.headers.get('www-authenticate')).toBe('Bearer');
    expect(write.body.error).toMatchObject({ code: 'unauthorized', scope: 'finance:write' });
    expect((await send(`${finance}/keys`)).status).toBe(401);
    expect((await send(`${finance}/data-sources`)).status).toBe(401);
    // A wrong credential is refused, never downgraded to the local caller.
    expect((await send(`${finance}/tools`, 'GET', undefined, bearer('wrong-token-wrong-token'))).status).toBe(401);
    const written = await send(`${finance}/tools`, 'POST', tool('token_probe'), bearer(ADMIN_TOKEN));
    expect(written.status).toBe(201);
  });
});

describe.each(backends)('REST local-open without TOOLPORT_ADMIN_TOKEN (%s)', (backend) => {
  const t = useToolport(backend);
  const { send } = restClient();

  it('loopback callers write as `local`, manage keys and read the audit log, as before keys', async () => {
    const utility = t.app.urls.utility!;
    expect((await send(`${utility}/tools`, 'POST', tool('local_written'))).status).toBe(201);
    const actors = await t.db.database.query(`select distinct actor from registry_changes where table_name = 'tools' and name = 'local_written'`);
    expect(actors.rows).toEqual([{ actor: 'local' }]);
    expect((await send(`${utility}/keys`)).status).toBe(200);
    expect((await send(`${utility}/audit`)).status).toBe(200);
    const health = await send(`${utility}/health`);
    expect(health.body).toMatchObject({ status: 'ok', audit: { dropped: 0 } });
  });
});

describe('the policy follows the bind address', () => {
  const policyOf = (env: Record<string, string>) => {
    const config = loadConfig({ TOOLPORT_SERVERS: 'finance:0', ...env });
    return authPolicy({ bindHosts: [config.host], configured: config.auth }).policy;
  };

  it('127.0.0.1 (the default) → local-open; 0.0.0.0 → required; TOOLPORT_AUTH decides when set', () => {
    expect(policyOf({})).toBe('local-open');
    expect(policyOf({ TOOLPORT_HOST: '0.0.0.0' })).toBe('required');
    expect(policyOf({ TOOLPORT_HOST: '::' })).toBe('required');
    expect(policyOf({ TOOLPORT_HOST: '0.0.0.0', TOOLPORT_AUTH: 'local-open' })).toBe('local-open');
    expect(policyOf({ TOOLPORT_AUTH: 'required' })).toBe('required');
  });
});
