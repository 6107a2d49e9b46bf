/**
 * The server of the bench's `workers` phase: a real Toolport (finance and
 * utility listeners on DATABASE_URL or TOOLPORT_DATA_DIR — the phase gives it
 * a fresh, empty database, migrated and seeded here on start; in-memory
 * PGlite when neither is set) with one extra tool,
 * `text_analyzer_inline`: the very same handler as `text_analyzer`, run on
 * the event loop instead of in the CPU pool. The pair measures the pool's own
 * cost per call; `text_analyzer` under load measures what the event loop
 * (/health) sees while every thread is busy.
 *
 * Prints `listening <port>` for utility, then finance, once both answer.
 * TOOLPORT_CPU_WORKERS and TOOLPORT_CALL_TIMEOUT_MS apply as usual.
 */
import type { Handler } from '../../src/handlers/define.ts';
import { handlers as builtIn } from '../../src/handlers/index.ts';
import { textAnalyzer } from '../../src/handlers/utility/text_analyzer.ts';
import { startToolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { createLogger } from '../../src/shared/logger.ts';

export const INLINE_TWIN = 'text_analyzer_inline';

const inlineTwin: Handler = { ...textAnalyzer, name: INLINE_TWIN, runs: 'inline', module: undefined };
const handlers = new Map<string, Handler>([...builtIn, [INLINE_TWIN, inlineTwin]]);

const env = { ...process.env };
for (const key of ['TOOLPORT_SERVERS', 'TOOLPORT_ADMIN_TOKEN', 'TOOLPORT_HOST']) delete env[key];
const config = loadConfig({
  ...env,
  TOOLPORT_SERVERS: 'utility:0,finance:0',
  ...(env.DATABASE_URL || env.TOOLPORT_DATA_DIR ? {} : { TOOLPORT_DATA_DIR: 'memory://' }),
  TOOLPORT_LOG_LEVEL: env.TOOLPORT_LOG_LEVEL ?? 'warn',
});
const toolport = await startToolport(config, { handlers, sqlPort: false, logger: createLogger(config.logLevel) });
const utility = toolport.listeners.get('utility')!.url;
const finance = toolport.listeners.get('finance')!.url;
const created = await fetch(`${utility}/tools`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: INLINE_TWIN, description: 'text_analyzer, run on the event loop (bench only)', handler: INLINE_TWIN }),
});
if (created.status !== 201) throw new Error(`POST /tools ${INLINE_TWIN}: ${created.status} ${await created.text()}`);
for (const url of [utility, finance]) process.stdout.write(`listening ${new URL(url).port}\n`);

const stop = () =>
  void toolport
    .stop()
    .catch((error: Error) => process.stderr.write(`stop: ${error.message}\n`))
    .finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
