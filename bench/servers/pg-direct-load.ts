/**
 * The reference side of the bench's `sql` phase: the primary-key lookup an
 * `sql` tool runs, sent directly with postgres.js — no HTTP, no Toolport —
 * by `connections` concurrent loops for `durationS` seconds, through a pool
 * of `poolSize` connections (the data source's pool size, so both sides may
 * hold as many server connections). Every answer is checked (one row, the
 * symbol asked). Prints one JSON line: { responses, rps, p50Ms, p99Ms, meanMs, errors }.
 *
 * argv: <url> <connections> <durationS> <poolSize> <symbol>
 */
import postgres from 'postgres';

const [url, connectionsText, durationText, poolText, symbol = ''] = process.argv.slice(2);
if (!url || !symbol) throw new Error('usage: pg-direct-load.ts <url> <connections> <durationS> <poolSize> <symbol>');
const connections = Number(connectionsText);
const durationMs = Number(durationText) * 1000;
const sql = postgres(url, { max: Number(poolText), onnotice: () => {} });

const latencies: number[] = [];
let errors = 0;
let wrong = 0;
// Warm the pool (every connection opened and the statement prepared) before the clock starts.
await Promise.all(Array.from({ length: Number(poolText) }, () => sql`select symbol, price from sample_stock_quotes where symbol = ${symbol}`));

const started = performance.now();
const until = started + durationMs;
async function loop(): Promise<void> {
  while (performance.now() < until) {
    const sent = performance.now();
    try {
      const rows = await sql`select symbol, price from sample_stock_quotes where symbol = ${symbol}`;
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
