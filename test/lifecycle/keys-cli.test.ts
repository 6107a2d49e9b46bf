import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, cliDatabase } from '../support/database.ts';
import { runCli } from '../support/process.ts';

/**
 * `toolport keys …` as a real process. One backend, as the data-sources CLI
 * test: Postgres when TEST_DATABASE_URL is set, else an embedded data dir
 * (every CLI run opens PGlite anew); the service tests cover both backends.
 */
const backend = backends.at(-1)!; // the backend cliDatabase() picks

describe(`toolport keys (${backend})`, () => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ env, cleanup } = await cliDatabase());
  });
  afterAll(() => cleanup?.());

  const run = async (...args: string[]) => {
    const child = runCli(['keys', ...args], env);
    const code = await child.exited;
    return { code, output: child.output() };
  };

  it('creates a key shown once, lists it without the secret, revokes it by prefix; a bad scope names itself', async () => {
    const created = await run('create', '--name', 'ci-agent', '--scope', 'finance:call', '--scope', 'utility:list', '--expires', '30d', '--rate', '600/min');
    expect(created.code, created.output).toBe(0);
    const key = /\b(tp_([a-z2-7]{8})_[a-z2-7]{32})\b/.exec(created.output);
    expect(key, created.output).not.toBeNull();
    const [, full, prefix] = key!;
    expect(created.output).toContain('shown this once');
    expect(created.output).toMatch(/finance:call utility:list/);

    const listed = await run('list', '--json');
    expect(listed.code, listed.output).toBe(0);
    expect(JSON.parse(listed.output)).toMatchObject([
      { name: 'ci-agent', prefix, scopes: ['finance:call', 'utility:list'], rateLimit: '600/min', status: 'active' },
    ]);
    expect(listed.output).not.toContain(full!.slice(12));

    const revoked = await run('revoke', prefix!);
    expect(revoked.code, revoked.output).toBe(0);
    expect(revoked.output).toBe(`revoked API key "ci-agent" (${prefix})\n`);
    expect((await run('list')).output).toMatch(new RegExp(`${prefix} \\| ci-agent \\| revoked`));

    const bad = await run('create', '--name', 'x', '--scope', 'finance:cal');
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('Scope "finance:cal" is not valid: the action "cal" must be one of list, call, write');
  });
});
