import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../src/shared/logger.ts';

/**
 * A handlers directory for one test file (TOOLPORT_HANDLERS_DIR), with the
 * modules it holds at start. It lives inside the checkout (under the
 * git-ignored .toolport/), so a module's `import … from 'toolport'` resolves
 * by package self-reference, as it does in ./handlers.
 */
export interface ModuleDir {
  path: string;
  write(file: string, source: string): void;
  remove(file: string): void;
  dispose(): void;
}

const ROOT = fileURLToPath(new URL('../../.toolport/test-handlers/', import.meta.url));

export function moduleDir(files: Record<string, string> = {}): ModuleDir {
  mkdirSync(ROOT, { recursive: true });
  const path = mkdtempSync(ROOT);
  const dir: ModuleDir = {
    path,
    write: (file, source) => writeFileSync(join(path, file), source),
    remove: (file) => unlinkSync(join(path, file)),
    dispose: () => rmSync(path, { recursive: true, force: true }),
  };
  for (const [file, source] of Object.entries(files)) dir.write(file, source);
  return dir;
}

export interface LogEntry {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it is told (to check what a failed module logged). */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void entries.push({ level, message, fields });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
