import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, cliDatabase } from '../support/database.ts';
import { mcpRequest, rpcBody } from '../support/mcp-request.ts';
import { runCli } from '../support/process.ts';
import { type ServeProcess, startServeProcess } from '../support/serve-process.ts';
import { json } from '../support/toolport.ts';

/**
 * The access policy follows the bind address, in a real process: with
 * TOOLPORT_HOST=0.0.0.0 (reachable from the network) and TOOLPORT_AUTH
 * unset, every request needs a credential — also one from 127.0.0.1 — and
 * the start-up log says so and why. A key made by `toolport keys create`
 * (a real CLI process on the same database) opens exactly its scope. One
 * backend, as the other CLI tests (cliDatabase: Postgres when
 * TEST_DATABASE_URL is set, else an embedded data dir). The key is made
 * before serve starts: an embedded data dir is one process's at a time.
 */
const backend = backends.at(-1)!;

describe(`TOOLPORT_HOST=0.0.0.0 → credentials required (${backend})`, () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let serve: ServeProcess;
  let key: string;
  let finance: string;
  let utility: string;

  beforeAll(async () => {
    ({ env, cleanup } = await cliDatabase());
    const cli = runCli(['keys', 'create', '--name', 'finance-agent', '--scope', 'finance:call', '--json'], env);
    expect(await cli.exited, cli.output()).toBe(0);
    key = (JSON.parse(cli.output()) as { key: string }).key;
    serve = await startServeProcess({ ...env, TOOLPORT_HOST: '0.0.0.0' });
    finance = serve.urls.finance!;
    utility = serve.urls.utility!;
  }, 120_000);
  afterAll(async () => {
    await serve?.child.kill();
    await cleanup?.();
  });

  const withKey = () => ({ authorization: `Bearer ${key}` });
  const list = (base: string, headers: Record<string, string> = {}) => fetch(`${base}/tools`, { headers });
  const call = (base: string, name: string, args: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fetch(`${base}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ name, arguments: args }),
    });

  it('logs the policy and why at start-up', () => {
    const access = serve.logLines().find((line) => line.msg === 'access');
    expect(access, serve.child.output()).toMatchObject({ level: 'info', policy: 'required', keys: 1 });
    expect(access!.why).toMatch(/0\.0\.0\.0 \(not loopback\): every request needs a credential \(TOOLPORT_AUTH unset/);
    // Writes are not open to anyone here, so the "open to local callers" warning is not logged.
    expect(serve.child.output()).not.toContain('registry writes (POST/PUT/PATCH/DELETE /tools) are open to local callers');
  });

  it('refuses unauthenticated GET /tools and POST /tools/call with 401, even from 127.0.0.1', async () => {
    expect(finance).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const response of [
      await list(finance),
      await list(utility),
      await call(finance, 'get_stock_price', { symbol: 'AAPL' }),
      await call(utility, 'get_time', { timezone: 'UTC' }),
    ]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = await json(response);
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).toMatch(/credential/);
    }
    // /mcp the same, in JSON-RPC.
    const mcp = await mcpRequest(finance, 'tools/list', {});
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await rpcBody(mcp)).error.code).toBe(-32001);
  });

  it('a wrong key is refused as invalid, not treated as none', async () => {
    const response = await list(finance, { authorization: 'Bearer tp_aaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('a finance:call key lists and calls on finance, sees nothing of utility (403), and cannot write (403)', async () => {
    const listed = await list(finance, withKey());
    expect(listed.status).toBe(200);
    expect(((await json(listed)).tools as { name: string }[]).map((tool) => tool.name).sort()).toEqual([
      'calculate_portfolio',
      'get_financial_news',
      'get_stock_price',
    ]);
    const called = await call(finance, 'get_stock_price', { symbol: 'AAPL' }, withKey());
    expect(called.status).toBe(200);
    expect(JSON.stringify(await json(called))).toContain('AAPL');

    const hidden = await list(utility, withKey());
    expect(hidden.status).toBe(403);
    const refusal = await json(hidden);
    expect(refusal.error.code).toBe('forbidden');
    expect(JSON.stringify(refusal)).toContain('utility:list');
    expect((await call(utility, 'get_time', { timezone: 'UTC' }, withKey())).status).toBe(403);

    const write = await fetch(`${finance}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withKey() },
      body: JSON.stringify({ name: 'sneaky', description: 'x', handler: 'get_time' }),
    });
    expect(write.status).toBe(403);
    expect((await json(write)).error.code).toBe('forbidden');
    expect((await list(finance, withKey())).status).toBe(200);
  });

  it('toolport --help shows the keys commands, keys --help the scopes', async () => {
    const help = runCli(['--help'], {});
    expect(await help.exited).toBe(0);
    expect(help.output()).toMatch(/keys create --name <n> --scope <scope>.*\| list \| revoke <id\|prefix>/);
    expect(help.output()).toContain('TOOLPORT_AUTH');
    const keysHelp = runCli(['keys', '--help'], {});
    expect(await keysHelp.exited).toBe(0);
    expect(keysHelp.output()).toContain('<server|*>:<list|call|write>[:<tool-glob>], or admin');
  });
});
