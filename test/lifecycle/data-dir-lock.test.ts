import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirLockedError, lockPathFor, readLock } from '../../src/db/data-dir-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'toolport-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the embedded data-dir lock', () => {
  it('refuses a second holder while the first lives, naming it and its SQL port', () => {
    const dir = join(root, 'a');
    const lock = acquireDataDirLock(dir);
    lock.update({ sqlHost: '127.0.0.1', sqlPort: 5999 });
    try {
      expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
      expect(() => acquireDataDirLock(dir)).toThrow(/pid \d+.*SQL on 127\.0\.0\.1:5999/s);
      expect(readLock(dir)).toMatchObject({ pid: process.pid, sqlPort: 5999 });
    } finally {
      lock.release();
    }
    expect(readLock(dir)).toBeUndefined();
  });

  it('takes over a lock left by a process that is gone (kill -9, power loss)', () => {
    const dir = join(root, 'b');
    // pid 2^22+ is above Linux's pid_max default, so no live process has it.
    writeFileSync(lockPathFor(dir), JSON.stringify({ pid: 4_194_304 + 12_345, startedAt: '2026-01-01T00:00:00Z' }));
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockPathFor(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });
});
