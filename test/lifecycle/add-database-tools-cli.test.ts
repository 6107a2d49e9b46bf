// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, cliDatabase } from '../support/database.ts';
import { runCli } from '../support/process.ts';

/**
 * `toolport add-database-tools …` as a real process, on one backend
 * (Postgres when TEST_DATABASE_URL is set, else an embedded data dir; the
 * REST tests cover the same writer on both).
 */
const backend = backends.at(-1)!; // the backend cliDatabase() picks

describe(`toolport add-database-tools (${backend})`, () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ env, cleanup } = await cliDatabase());
    env.TOOLPORT_SECRET_APP_DB_URL = 'postgres://app:Never-Shown-77@db.example/app';
  });
  afterAll(() => cleanup?.());

  const run = async (...args: string[]) => {
    const child = runCli(args, env);
    const code = await child.exited;
    expect(child.output()).not.toContain('Never-Shown-77');
    return { code, output: child.output() };
  };

  it('adds 4 user_ro tools; a second run is refused naming the tools, nothing written; a bad mode says why', async () => {
    expect((await run('seed')).code).toBe(0);
    const ro = await run('add-database-tools', '--server', 'utility', '--source', 'samples', '--mode', 'user_ro');
    expect(ro.code, ro.output).toBe(0);
    expect(ro.output).toMatch(/^added 4 database tools \(user_ro, source "samples"\) to server "utility":\n {2}utility_list_objects\n/);
    const again = await run('add-database-tools', '--server', 'utility', '--source', 'samples', '--mode', 'admin_ro');
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/already has tool\(s\) named "utility_list_objects", "utility_get_object_details"/);
    const badMode = await run('add-database-tools', '--server', 'utility', '--source', 'samples', '--mode', 'root');
    expect(badMode.output).toMatch(/--mode must be one of user_ro, user_rw, admin_ro, admin_rw/);
  }, 180_000);

  // Every run opens the database anew: on an embedded data dir that is seconds each, so the rest runs on Postgres only.
  it.skipIf(backend !== 'postgres')(
    'admin_rw adds 9 tools with the prefix; unknown sources and *_rw on a read-only source are refused',
    async () => {
      const source = await run('data-sources', 'add', 'app', '--url', '${secret:APP_DB_URL}', '--access', 'read_write');
      expect(source.code, source.output).toBe(0);
      const admin = await run('add-database-tools', '--server', 'finance', '--source', 'app', '--mode', 'admin_rw', '--prefix', 'app-db', '--json');
      expect(admin.code, admin.output).toBe(0);
      const result = JSON.parse(admin.output);
      expect(result.tools).toHaveLength(9);
      expect(result.tools[8]).toMatchObject({ name: 'app_db_analyze_workload_indexes', tool: 'analyze_workload_indexes' });
      const rwOnReadOnly = await run('add-database-tools', '--server', 'utility', '--source', 'samples', '--mode', 'user_rw', '--prefix', 'x');
      expect(rwOnReadOnly.code).toBe(1);
      expect(rwOnReadOnly.output).toMatch(/"samples" is read_only/);
      const unknown = await run('add-database-tools', '--server', 'utility', '--source', 'nope', '--mode', 'user_ro');
      expect(unknown.output).toMatch(/no data source "nope"/);
      const rows = await run('sql', "select count(*) as n from tools where handler = 'database'");
      expect(rows.output).toMatch(/\b13\b/);
    },
    180_000,
  );
});
