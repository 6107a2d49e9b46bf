#!/usr/bin/env node
// npm install runs this (the `prepare` script): build dist/ when it is stale, then make the template every new
// embedded data dir is copied from (node_modules/.cache/toolport/), so the very first `npm start` or
// `toolport mcp` does not wait for PGlite's initdb. The template is a convenience: without it the first start
// makes it, so a failure here is reported and the install goes on.
import { ensureBuilt } from './dist.mjs';

try {
  ensureBuilt();
} catch (error) {
  process.stderr.write(`build failed: ${error.message}\n`);
  process.exit(1);
}
if (process.env.DATABASE_URL || process.env.TOOLPORT_SKIP_PGLITE_TEMPLATE === '1') process.exit(0);
try {
  const started = performance.now();
  const { ensureTemplate, templateDir } = await import('../dist/src/db/pglite-template.js');
  const dir = templateDir();
  await ensureTemplate(dir);
  process.stderr.write(`embedded database template ready (${((performance.now() - started) / 1000).toFixed(1)} s): ${dir}\n`);
} catch (error) {
  process.stderr.write(`note: the embedded database template was not made (${error.message}); the first start will make it\n`);
}
