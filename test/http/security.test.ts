import { beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

const TOKEN = 'test-admin-token-0123456789';

describe.each(backends)('REST security with TOOLPORT_ADMIN_TOKEN (%s)', (backend) => {
  const t = useToolport(backend, { TOOLPORT_ADMIN_TOKEN: TOKEN });
  let utility: string;
  beforeAll(() => {
    utility = t.app.urls.utility!;
  });

  const register = (headers: Record<string, string>) =>
    fetch(`${utility}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name: 'secured', description: 'x', handler: 'get_time' }),
    });

  it('refuses every write without the token, with a wrong token, or with another scheme — and writes nothing', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: `Basic ${TOKEN}` }]) {
      const response = await register(headers);
      expect(response.status).toBe(401);
      expect((await json(response)).error.code).toBe('unauthorized');
    }
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const response = await fetch(`${utility}/tools/get_time`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ description: 'hijacked' }),
      });
      expect(response.status).toBe(401);
    }
    const rows = await t.db.database.query(`select count(*)::int as n from tools where name = 'secured' or description = 'hijacked'`);
    expect(rows.rows[0]!.n).toBe(0);
  });

  it('accepts writes with the token', async () => {
    const response = await register({ authorization: `Bearer ${TOKEN}` });
    expect(response.status).toBe(201);
  });

  it('reads and calls stay open', async () => {
    expect((await fetch(`${utility}/tools`)).status).toBe(200);
    const call = await fetch(`${utility}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'get_time', arguments: {} }),
    });
    expect(call.status).toBe(200);
  });

  it('never echoes the token in error bodies', async () => {
    const text = await (await register({ authorization: 'Bearer nope-nope-nope-nope' })).text();
    expect(text).not.toContain(TOKEN);
  });
});
