import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { connectModernAs } from '../mcp/access-support.ts';
import { countModernChanges } from '../mcp/support.ts';
import { freePort, runCli } from '../support/process.ts';
import { type ServeProcess, startServeProcess } from '../support/serve-process.ts';

/**
 * `toolport export` and `toolport apply` as a user runs them: beside a
 * running embedded Toolport (the commands go through its REST API: its own
 * transactions), whose MCP clients see the change at once.
 */
describe('toolport export / apply beside a running embedded Toolport', () => {
  let dir: string;
  let env: Record<string, string>;
  let server: ServeProcess;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toolport-registry-cli-'));
    env = { TOOLPORT_DATA_DIR: join(dir, 'data'), TOOLPORT_SQL_PORT: String(await freePort()), TOOLPORT_CHANGE_POLL_MS: '100' };
    server = await startServeProcess(env);
  }, 90_000);
  afterAll(async () => {
    await server?.child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    const child = runCli(args, { ...env, TOOLPORT_LOG_LEVEL: 'silent' });
    const code = await child.exited;
    return { code, output: child.output() };
  };

  it('exports byte-identically, plans an edit and a deletion without writing, applies them once, and the MCP session hears of it', async () => {
    const file = join(dir, 'r.yaml');
    const first = await run('export', '--output', file);
    expect(first.code, first.output).toBe(0);
    const second = await run('export');
    expect(second.output).toContain(readFileSync(file, 'utf8'));

    const document = parse(readFileSync(file, 'utf8'));
    const utility = document.servers.find((entry: { id: string }) => entry.id === 'utility');
    utility.tools.find((tool: { name: string }) => tool.name === 'get_time').description = 'Time, as the file says';
    utility.tools = utility.tools.filter((tool: { name: string }) => tool.name !== 'data_processor');
    writeFileSync(file, stringify(document));

    const dry = await run('apply', file, '--dry-run', '--prune', '--exit-code');
    expect(dry.code, dry.output).toBe(2);
    expect(dry.output).toMatch(/through the running Toolport \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+/);
    expect(dry.output).toContain('~ update tool utility/get_time');
    expect(dry.output).toContain('~ description:');
    expect(dry.output).toContain('- delete tool utility/data_processor');
    expect(dry.output).toMatch(/Plan: 0 to create, 1 to update, 1 to delete; 7 unchanged/);
    const listed = await fetch(`${server.urls.utility}/tools/data_processor`);
    expect(listed.status).toBe(200);

    const client = await connectModernAs(server.urls.utility!, undefined);
    const changes = countModernChanges(client);
    await client.listen({ toolsListChanged: true });

    const applied = await run('apply', file, '--prune');
    expect(applied.code, applied.output).toBe(0);
    expect(applied.output).toMatch(/Applied: 0 created, 1 updated, 1 deleted/);
    await changes.reach(1, 5000);
    expect(changes.count).toBeGreaterThan(0);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).not.toContain('data_processor');
    await client.close();

    const again = await run('apply', file, '--prune', '--exit-code');
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/No changes\. The registry matches r\.yaml \(8 unchanged\)/);
    const history = (await (await fetch(`${server.urls.utility}/tools/get_time/revisions?limit=1`)).json()) as { revisions: { actor: string }[] };
    // Applied by the running Toolport for a loopback caller (local-open): its actor.
    expect(history.revisions[0]!.actor).toBe('local');
  }, 120_000);

  it('a saved plan is applied only to the registry it was made from; a broken file names its path and line and writes nothing', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'servers:\n  - id: finance\n    name: Finance, from a plan\n    description: Market data and portfolio tools\n    port: 3001\n');
    const plan = join(dir, 'plan.json');
    const dry = await run('apply', file, '--dry-run', '--server', 'finance', '--plan-file', plan);
    expect(dry.code, dry.output).toBe(0);
    expect(JSON.parse(readFileSync(plan, 'utf8'))).toMatchObject({ format: 'toolport-plan/1', prune: false, servers: ['finance'] });
    const patched = await fetch(`${server.urls.finance}/tools/get_stock_price`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'Changed after the plan' }),
    });
    expect(patched.status).toBe(200);
    const stale = await run('apply', file, '--plan-file', plan);
    expect(stale.code).toBe(1);
    expect(stale.output).toContain('The registry changed since the plan was made');
    writeFileSync(file, `${readFileSync(file, 'utf8')}# edited\n`);
    expect((await run('apply', file, '--plan-file', plan)).output).toContain('p.yaml changed since the plan');

    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      'servers:\n  - id: utility\n    name: Utility\n    tools:\n      - name: get_time\n        inputSchema:\n          type: object\n          properties:\n            zone: { type: strnig }\n',
    );
    const refused = await run('apply', broken);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/broken\.yaml is not a valid registry file .*nothing was written/);
    expect(refused.output).toMatch(/broken\.yaml:9:\d+ \/servers\/0\/tools\/0\/inputSchema\/properties\/zone\/type/);
    const time = (await (await fetch(`${server.urls.utility}/tools/get_time`)).json()) as { description: string };
    expect(time.description).toBe('Time, as the file says');
  }, 120_000);
});
