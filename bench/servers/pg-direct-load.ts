/**
 * The reference side of the bench's `sql` phase: the primary-key lookup an
 * `sql` tool runs, sent directly with postgres.js — no HTTP, no Toolport —
 * by `connections` concurrent loops for `durationS` seconds, through a pool
 * of `poolSize` connections (the data source's pool size, so both sides may
 * hold as many server connections). Every answer is checked (one row, the
 * symbol asked). Prints one JSON line: { responses, rps, p50Ms, p99Ms, meanMs, errors }.
 *
 * mode `statement` (default) sends the statement alone; mode `transaction`
 * wraps it the way a Toolport `sql` tool call must (data-sources/index.ts):
 * BEGIN READ ONLY, the four set_config(…, true) settings pipelined with the
 * statement read through a portal (its first batch), COMMIT — what the
 * call costs the database and postgres.js before any HTTP.
 *
 * argv: <url> <connections> <durationS> <poolSize> <symbol> [statement|transaction]
 */
import postgres from 'postgres';
import { MAX_BATCH } from '../../src/providers/data-sources/pg-session.ts';
import { settingsStatement } from '../../src/providers/data-sources/settings.ts';

const [url, connectionsText, durationText, poolText, symbol = '', mode = 'statement'] = process.argv.slice(2);
if (!url || !symbol || (mode !== 'statement' && mode !== 'transaction')) {
  throw new Error('usage: pg-direct-load.ts <url> <connections> <durationS> <poolSize> <symbol> [statement|transaction]');
}
const connections = Number(connectionsText);
const durationMs = Number(durationText) * 1000;
const sql = postgres(url, { max: Number(poolText), onnotice: () => {} });

const STATEMENT = 'select symbol, price from sample_stock_quotes where symbol = $1';
// The settings statement a call sends (data-sources/settings.ts), with the bench tool's values.
const SETTINGS = settingsStatement(5000, { 'toolport.server': 'utility', 'toolport.tool': 'bench_sql_quote', 'toolport.caller': 'local' });

function lookup(): Promise<readonly postgres.Row[]> {
  if (mode === 'statement') return sql`select symbol, price from sample_stock_quotes where symbol = ${symbol}`;
  return sql.begin('read only', async (tx) => {
    const settings = tx.unsafe(SETTINGS.text, SETTINGS.params, { prepare: true }).execute();
    const rows: postgres.Row[] = [];
    await tx.unsafe(STATEMENT, [symbol], { prepare: true }).cursor(MAX_BATCH, (batch) => {
      rows.push(...batch);
    });
    await settings;
    return rows;
  }) as Promise<postgres.Row[]>;
}

const latencies: number[] = [];
let errors = 0;
let wrong = 0;
// Warm the pool (every connection opened and the statement prepared) before the clock starts.
await Promise.all(Array.from({ length: Number(poolText) }, lookup));

const started = performance.now();
const until = started + durationMs;
async function loop(): Promise<void> {
  while (performance.now() < until) {
    const sent = performance.now();
    try {
      const rows = await lookup();
      if (rows.length !== 1 || rows[0]!.symbol !== symbol) wrong++;
      latencies.push(performance.now() - sent);
    } catch {
      errors++;
    }
  }
}
await Promise.all(Array.from({ length: connections }, loop));
const elapsedS = (performance.now() - started) / 1000;
await sql.end({ timeout: 5 });

latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
const mean = latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, latencies.length);
process.stdout.write(
  `${JSON.stringify({ responses: latencies.length, durationS: elapsedS, rps: latencies.length / elapsedS, p50Ms: at(0.5), p99Ms: at(0.99), meanMs: mean, errors, wrong })}\n`,
);
