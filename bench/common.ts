/** Paths, versions, registry sizes and the log line shared by every part of `npm run bench`. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS = join(ROOT, 'bench', 'results');
export const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
export const AUTOCANNON_VERSION: string = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'autocannon', 'package.json'), 'utf8')).version;

/** The built-in registry: finance 3 + utility 4; utility gets 3 bulk tools more, for "10 tools". */
export const SMALL_UTILITY = 7;
export const LIST_SIZES = [1_000, 10_000];
export const COLD_TOTAL = 10_000;

export const log = (line: string) => process.stderr.write(line + '\n');
