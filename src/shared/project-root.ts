import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout (or installed package) Toolport runs from: the nearest
 * folder above this module holding a package.json. The same from source
 * (`src/shared/`) and from the build (`dist/src/shared/`), so the files that
 * ship beside the code (migrations, seeds, package.json) are found either way.
 */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}: Toolport's files (migrations, seeds) cannot be found`);
    dir = parent;
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the project: fromProjectRoot('migrations'). */
export function fromProjectRoot(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
