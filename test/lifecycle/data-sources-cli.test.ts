// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, cliDatabase } from '../support/database.ts';
import { runCli } from '../support/process.ts';

/**
 * `toolport data-sources …` as a real process. One backend: Postgres when
 * TEST_DATABASE_URL is set, else an embedded data dir — every run of the CLI
 * opens PGlite anew (~6 s each here), and the REST tests already cover both
 * backends through the same write service.
 */
const backend = backends.at(-1)!; // the backend cliDatabase() picks

const SECRET_VALUE = 'postgres://cli:Cli-Secret-Value-42@db.cli.example/warehouse';

describe(`toolport data-sources (${backend})`, () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ env, cleanup } = await cliDatabase());
    env.TOOLPORT_SECRET_WAREHOUSE_URL = SECRET_VALUE;
  });
  afterAll(() => cleanup?.());

  const run = async (...args: string[]) => {
    const child = runCli(['data-sources', ...args], env);
    const code = await child.exited;
    expect(child.output()).not.toContain('Cli-Secret-Value-42');
    return { code, output: child.output() };
  };

  it('adds, shows, changes, lists and removes a source; refusals name the flag', async () => {
    const added = await run('add', 'warehouse', '--url', '${secret:WAREHOUSE_URL}', '--access', 'read_write', '--pool-size', '2', '--description', 'DW');
    expect(added.code, added.output).toBe(0);
    expect(added.output).toMatch(/^added data source "warehouse"\n/);
    expect(added.output).toMatch(/warehouse \| true +\| read_write \| \$\{secret:WAREHOUSE_URL\} \| true +\| 2 /);

    const bad = await run('set', 'warehouse', '--pool-size', '0', '--url', 'postgres://x:Pw-Literal-9@h/db');
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/--url: must be a secret reference/);
    expect(bad.output).toMatch(/--pool-size: must be at least 1/);
    expect(bad.output).not.toContain('Pw-Literal-9');

    const changed = await run('set', 'warehouse', '--enabled', 'false', '--row-limit', '20');
    expect(changed.code, changed.output).toBe(0);
    const shown = await run('show', 'warehouse', '--json');
    expect(JSON.parse(shown.output)).toMatchObject({
      id: 'warehouse',
      enabled: false,
      rowLimit: 20,
      poolSize: 2,
      secretSet: true,
      url: '${secret:WAREHOUSE_URL}',
    });

    const builtIn = await run('remove', 'samples');
    expect(builtIn.code).toBe(1);
    expect(builtIn.output).toMatch(/built-in source over the sample tables and cannot be removed/);

    const removed = await run('remove', 'warehouse');
    expect(removed.code, removed.output).toBe(0);
    const listed = await run('list', '--json');
    expect(JSON.parse(listed.output).map((source: any) => source.id)).toEqual(['samples']);
  }, 120_000);
});
