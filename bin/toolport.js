#!/usr/bin/env node
// The CLI from the compiled build (dist/), built first when it is missing or older than src/.
// Source maps are in dist/ (NODE_OPTIONS=--enable-source-maps for TypeScript lines in stack traces; off by default:
// Node then keeps every dependency's map and sources in memory, some 10 MB).
// Without typescript installed and no current dist/, it runs the TypeScript source through tsx.
import module from 'node:module';
import { ensureBuilt } from '../scripts/dist.mjs';

// Node 22.1+: compiled modules cached on disk (in the OS temp dir), a faster second start. Node 20 has none.
module.enableCompileCache?.();

let built;
try {
  built = ensureBuilt();
} catch (error) {
  process.stderr.write(`toolport: dist/ could not be built: ${error.message}\n(fix the errors above, or run from source: npm run dev)\n`);
  process.exit(1);
}
if (built) {
  await import('../dist/src/main/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main/cli.ts');
}
