import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (kind: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'test/support/driver-guard-child.ts', kind], { encoding: 'utf8', timeout: 30_000 });

describe('the serving commands survive postgres.js losing a connection while it reads the array types', () => {
  it('that one unhandled rejection is a warning (no secret, no query in it) and the process runs on', () => {
    const child = run('type-fetch');
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('still running');
    // pino writes the fields before msg: match the line, not an order.
    expect(child.stderr).toMatch(
      /"code":"ECONNREFUSED".*a database connection was lost while it was being set up|a database connection was lost while it was being set up.*ECONNREFUSED/,
    );
    expect(child.stderr).not.toContain('typarray');
  });

  it('any other unhandled rejection still ends the process', () => {
    const child = run('other');
    expect(child.status).not.toBe(0);
    expect(child.stdout).not.toContain('still running');
    expect(child.stderr).toContain('some other failure');
  });
});
