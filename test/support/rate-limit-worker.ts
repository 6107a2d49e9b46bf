/**
 * One replica of test/live/rate-limit-replicas.test.ts, run as its own
 * process (`tsx test/support/rate-limit-worker.ts`): a RateLimiter on the
 * database at DATABASE_URL (already migrated) spends bucket BUCKET under
 * RATE. MODE=hammer: print `ready` once connected, and on a `go` line on
 * stdin (the test's start barrier, so both replicas start together) take()
 * for WINDOW_MS as fast as the event loop allows (yielding to it between
 * calls so leases arrive), then stop. MODE=take-one: admit one call, then
 * stop (the give-back). It prints one JSON line: {"admitted","refused","leases"}.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { RateLimiter } from '../../src/auth/rate-limiter.ts';
import { parseRateSpec } from '../../src/auth/rate-spec.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createRateLimitStore } from '../../src/db/rate-limit-store.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`rate-limit-worker: ${name} is not set`);
  return value;
};

const database = await openDatabase({ databaseUrl: env('DATABASE_URL'), dataDir: '', poolSize: 2 });
const limiter = new RateLimiter({ store: createRateLimitStore(database), expectedReplicas: 2 });
const spec = parseRateSpec(env('RATE'));
const bucket = env('BUCKET');
let admitted = 0;
let refused = 0;

if (process.env.MODE === 'take-one') {
  const result = await limiter.admit([{ key: bucket, spec }]);
  if (result.ok) admitted++;
  else refused++;
} else {
  const windowMs = Number(env('WINDOW_MS'));
  await database.query('select 1'); // the pool's connection is open before the start
  const go = new Promise((resolve) => process.stdin.on('data', (chunk: Buffer) => chunk.toString().includes('go') && resolve(undefined)));
  process.stdout.write('ready\n');
  await go;
  process.stdin.destroy();
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    if (limiter.take(bucket, spec).ok) admitted++;
    else refused++;
    await yieldToLoop();
  }
}
const { leases } = limiter.stats();
await limiter.stop();
await database.close();
process.stdout.write(`${JSON.stringify({ admitted, refused, leases })}\n`);
