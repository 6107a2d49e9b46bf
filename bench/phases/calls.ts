/** Phase `calls`: tools/call on a 10-tool registry, against the floor and the SDK baseline. */

import { using } from '../cleanup.ts';
import { log, ROOT, SMALL_UTILITY, VERSION } from '../common.ts';
import { legacyCallCase, modernCallCase, restCallCase } from '../lib/cases.ts';
import { exportServer, setToolCount } from '../lib/db.ts';
import { startFloor, startSdk, startToolport } from '../lib/targets.ts';
import { type Bench, sdkSpec } from './bench.ts';

/** Calls on a 10-tool registry: REST, MCP 2026-07-28 stateless, MCP 2025 session. */
export async function calls(bench: Bench): Promise<void> {
  log('\n== calls (10-tool registry)');
  await setToolCount(bench.db, 'utility', SMALL_UTILITY);
  const finance = await exportServer(bench.db, 'finance');
  const tools = await bench.totalTools();
  await using(await startToolport(bench.db, { cwd: ROOT }), async (toolport) => {
    await bench.sampleIdle(toolport, tools, 'idle after start');
    await using(await startSdk(ROOT, [sdkSpec(finance)], VERSION), async (sdk) => {
      const url = toolport.urls.finance;
      const cases = [await restCallCase(url), await modernCallCase(url, sdk.urls[0]), await legacyCallCase(url, sdk.urls[0])];
      await using(await startFloor(ROOT, Object.assign({}, ...cases.map((c) => c.floorCases))), (floor) => bench.measure(cases, floor, toolport, tools, sdk));
    });
  });
}
