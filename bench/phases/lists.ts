/** Phase `lists`: tools/list and GET /tools on large registries. */

import { using } from '../cleanup.ts';
import { LIST_SIZES, log, ROOT, SMALL_UTILITY, VERSION } from '../common.ts';
import { modernListCase, restListCase } from '../lib/cases.ts';
import { exportServer, setToolCount } from '../lib/db.ts';
import { measureLargeWrites } from '../lib/large-writes.ts';
import { type RunningServer, startFloor, startSdk, startToolport } from '../lib/targets.ts';
import { type Bench, sdkSpec } from './bench.ts';

/** tools/list and GET /tools with 1,000 and 10,000 tools on one server. */
export async function lists(bench: Bench): Promise<void> {
  for (const size of LIST_SIZES) {
    log(`\n== lists (${size.toLocaleString('en')} tools on utility)`);
    await setToolCount(bench.db, 'utility', size);
    // The SDK baseline registers every tool on every request: at 10,000 it would take minutes per run (see the 1,000 row).
    const utility = size <= 1_000 ? await exportServer(bench.db, 'utility') : undefined;
    const tools = await bench.totalTools();
    await using(await startToolport(bench.db, { cwd: ROOT }), async (toolport) => {
      await bench.sampleIdle(toolport, tools, 'idle after start');
      const run = async (sdk: RunningServer | undefined) => {
        const url = toolport.urls.utility;
        const cases = [await modernListCase(url, sdk?.urls[0], size, `mcp_list_${size}`), await restListCase(url, size, `rest_list_${size}`)];
        if (!sdk)
          cases[0]!.notes.push('SDK baseline not run at 10,000 tools: its documented factory registers every tool on every request (see the 1,000-tool row)');
        await using(await startFloor(ROOT, Object.assign({}, ...cases.map((c) => c.floorCases))), (floor) => bench.measure(cases, floor, toolport, tools, sdk));
      };
      if (utility) await using(await startSdk(ROOT, [sdkSpec(utility)], VERSION), (sdk) => run(sdk));
      else await run(undefined);
      if (size >= 10_000) {
        log(`  POST /tools one by one into ${size.toLocaleString('en')} tools`);
        bench.results.largeWrites = await measureLargeWrites(toolport.urls.utility, size, 200);
        log(`    p50 ${bench.results.largeWrites.p50Ms} ms, p99 ${bench.results.largeWrites.p99Ms} ms`);
        await bench.db.query(`DELETE FROM tools WHERE server_id = 'utility' AND name LIKE 'big\\_w\\_%'`);
      }
    });
  }
  await setToolCount(bench.db, 'utility', SMALL_UTILITY);
  await bench.db.release();
}
