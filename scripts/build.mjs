#!/usr/bin/env node
// npm run build: compile dist/ (always); `--if-stale`: only when src/ changed since (npm test runs it first).
import { build, ensureBuilt } from './dist.mjs';

try {
  if (process.argv.includes('--if-stale')) ensureBuilt();
  else process.stderr.write(`dist/ built in ${(build() / 1000).toFixed(1)} s\n`);
} catch (error) {
  process.stderr.write(`build failed: ${error.message}\n`);
  process.exit(1);
}
