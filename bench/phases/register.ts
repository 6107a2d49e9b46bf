/** Phase `register`: POST /tools → list_changed latency, then POST /tools throughput. */

import { cleanups, using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { registerRequests } from '../lib/cases.ts';
import { measureSides } from '../lib/measure.ts';
import { closeListeners, type LatencyFigure, type Listener, measureNotifyLatency, openListener } from '../lib/notify.ts';
import { startToolport } from '../lib/targets.ts';
import { type Bench, toolportOnly } from './bench.ts';

/** Registration → list_changed latency on this process and on another one, then POST /tools throughput. */
export async function register(bench: Bench): Promise<void> {
  log('\n== registration');
  const before = await bench.totalTools();
  await using(await startToolport(bench.db, { cwd: ROOT }), async (toolport) => {
    const listeners: Listener[] = [];
    const close = () => closeListeners(listeners);
    cleanups.push(close);
    let notify: LatencyFigure[] = [];
    let note: string | undefined;
    const notifyBefore = await bench.financeCount(toolport);
    const measureNotify = async () => {
      log(`  POST /tools → list_changed, ${bench.settings.notifyRegistrations} registrations one by one, timeout ${bench.settings.notifyTimeoutMs} ms`);
      notify = await measureNotifyLatency(listeners, {
        registerUrl: toolport.urls.finance,
        count: bench.settings.notifyRegistrations,
        timeoutMs: bench.settings.notifyTimeoutMs,
        giveUpAfter: 3,
        namePrefix: 'notify_',
      });
      for (const f of notify) {
        log(
          `    ${f.listener}: ${f.status === 'not-delivered' ? f.note : `p50 ${f.p50Ms} ms, p90 ${f.p90Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms (${f.delivered}/${f.registrations})`}`,
        );
      }
    };
    listeners.push(await openListener('same process', toolport.urls.finance));
    if (bench.db.kind === 'postgres') {
      // Process B: a second Toolport on the same database, serving finance on its own port.
      await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'] }), async (other) => {
        listeners.push(await openListener('other process', other.urls.finance));
        await measureNotify();
      });
    } else {
      note = 'PGlite: a data dir is opened by one process only, so the cross-process figure needs Postgres (BENCH_DATABASE_URL).';
      await measureNotify();
    }
    await close();
    cleanups.splice(cleanups.indexOf(close), 1);
    const notifyAfter = await bench.financeCount(toolport);

    const side = toolportOnly(toolport.urls.finance, registerRequests('reg_'), { amount: bench.settings.registerAmount });
    log(`  POST /tools, c=${bench.settings.registerConnections}, ${bench.settings.registerAmount} registrations per run`);
    const [figure] = await measureSides(bench.generator, [side], bench.settings.registerConnections, bench.settings, log);
    const throughputAfter = await bench.financeCount(toolport);
    const rssMb = toolport.rss();
    bench.results.memory.samples.push({ when: 'after registrations', tools: before - notifyBefore + throughputAfter, rssMb });
    bench.results.registration = {
      notifyRegistry: { server: 'finance', toolsBefore: notifyBefore, toolsAfter: notifyAfter },
      notify,
      throughput: { ...figure!, toolsBefore: notifyAfter, toolsAfter: throughputAfter },
      ...(note ? { note } : {}),
    };
  });
  // Back to the small registry for the phases after this one.
  await bench.db.query(`DELETE FROM tools WHERE server_id = 'finance' AND (name LIKE 'reg\\_%' OR name LIKE 'notify\\_%')`);
  await bench.db.release();
}
