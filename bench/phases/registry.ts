/**
 * Phase `registry`: the registry as a file at 10,000 tools — GET
 * /registry/export and a no-op POST /registry/apply of that export (the plan
 * finds nothing to change), each timed end to end over HTTP, a few runs,
 * median. Target: each < 2 s. The tools belong to a gateway-only server,
 * each with an input schema of its own (nothing shared between them).
 */
import { using } from '../cleanup.ts';
import { log, ROOT } from '../common.ts';
import { startToolport } from '../lib/targets.ts';
import type { Bench } from './bench.ts';

export const REGISTRY_TOOLS = 10_000;
export const REGISTRY_TARGET_MS = 2000;
const RUNS = 5;
const BULK_SERVER = 'bulkregistry';

const BULK_SQL = `
  INSERT INTO tools (server_id, name, description, input_schema, handler, annotations)
  SELECT '${BULK_SERVER}', 'lookup_record_' || i, 'Look up record ' || i || ' of the bench registry by its key',
         jsonb_build_object('type', 'object', 'required', jsonb_build_array('key_' || i),
           'properties', jsonb_build_object('key_' || i, jsonb_build_object('type', 'string', 'description', 'Key of record ' || i, 'maxLength', 64),
                                            'limit', jsonb_build_object('type', 'integer', 'minimum', 1, 'maximum', 100))),
         'get_time', '{"readOnlyHint": true}'
  FROM generate_series(1, ${REGISTRY_TOOLS}) AS i`;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: Math.round((performance.now() - started) * 10) / 10, value };
}

export async function registry(bench: Bench): Promise<void> {
  log(`\n== registry file: export and a no-op apply at ${REGISTRY_TOOLS.toLocaleString('en')} tools`);
  await bench.db.query(`DELETE FROM servers WHERE id = '${BULK_SERVER}'`);
  await bench.db.query(`INSERT INTO servers (id, name, description, port) VALUES ('${BULK_SERVER}', 'Bulk registry', 'Registry file bench tools', NULL)`);
  await bench.db.query(BULK_SQL);
  await bench.db.release();
  try {
    await using(await startToolport(bench.db, { cwd: ROOT, servers: ['finance'], alsoServe: [BULK_SERVER], gateway: true }), async (toolport) => {
      const url = toolport.urls.finance;
      const exportMs: number[] = [];
      const applyMs: number[] = [];
      let text = '';
      for (let run = 0; run < RUNS; run++) {
        const exported = await timed(async () => {
          const response = await fetch(`${url}/registry/export`);
          if (response.status !== 200) throw new Error(`GET /registry/export answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
          return response.text();
        });
        if (run > 0 && exported.value !== text) throw new Error('two exports of an unchanged registry differ');
        text = exported.value;
        exportMs.push(exported.ms);
        const applied = await timed(async () => {
          const response = await fetch(`${url}/registry/apply`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: text });
          const body = (await response.json()) as { applied?: boolean; summary?: { create: number; update: number; delete: number; unchanged: number } };
          if (response.status !== 200 || body.applied !== false || body.summary?.unchanged === undefined) {
            throw new Error(`the no-op apply answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
          }
          return body.summary;
        });
        if (applied.value.create + applied.value.update + applied.value.delete > 0)
          throw new Error(`the export's apply is not a no-op: ${JSON.stringify(applied.value)}`);
        applyMs.push(applied.ms);
        log(
          `  run ${run + 1}: export ${exported.ms} ms (${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB), no-op apply ${applied.ms} ms (${applied.value.unchanged} unchanged)`,
        );
      }
      bench.results.registryFile = {
        tools: REGISTRY_TOOLS,
        bytes: Buffer.byteLength(text),
        export: { medianMs: median(exportMs), runsMs: exportMs },
        apply: { medianMs: median(applyMs), runsMs: applyMs },
      };
    });
  } finally {
    await bench.db.query(`DELETE FROM servers WHERE id = '${BULK_SERVER}'`);
    await bench.db.release();
  }
}
