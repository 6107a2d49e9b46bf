import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import type { Database } from '../db/client.ts';
import { RegistryStore } from '../db/registry-store.ts';
import type { Handler } from '../handlers/define.ts';
import { seedSampleData } from '../providers/index.ts';
import { silentLogger } from '../shared/logger.ts';
import { parseOrThrow } from '../shared/validation.ts';
import { CreateToolBody } from './definition.ts';
import { Registry } from './registry.ts';
import { ToolWrites } from './tool-writes.ts';

const SEED_FILE = fileURLToPath(new URL('../../seeds/servers.json', import.meta.url));

const SeedTool = v.object({ ...CreateToolBody.entries, description: v.optional(CreateToolBody.entries.description) });
const SeedFile = v.object({
  servers: v.array(
    v.object({
      id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9_-]*$/)),
      name: v.string(),
      description: v.optional(v.string(), ''),
      port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
      tools: v.array(SeedTool),
    }),
  ),
});

export interface SeedResult {
  servers: number;
  tools: number;
  sampleRows: number;
}

export interface SeedDeps {
  database: Database;
  store: Pick<RegistryStore, 'hasAnyServer'>;
  writes: ToolWrites;
  handlers: ReadonlyMap<string, Handler>;
}

const ACTOR = 'seed';

/**
 * Apply the seed file, inserting only what is missing: servers by id, tools
 * by server and name (through the write service, so seeded rows are checked
 * like any POST /tools), then the offline sample data. Rows that exist are
 * left as they are, so seeding twice changes nothing.
 */
export async function applySeedFile(deps: SeedDeps, file = SEED_FILE): Promise<SeedResult> {
  const data = parseOrThrow(SeedFile, JSON.parse(readFileSync(file, 'utf8')), `seed file ${file}`);
  const result: SeedResult = { servers: 0, tools: 0, sampleRows: 0 };
  // One transaction: a process starting beside this one sees all of the seed or none of it.
  await deps.writes.batch(ACTOR, async (writes, store) => {
    for (const server of data.servers) {
      if (await store.insertServerIfMissing({ id: server.id, name: server.name, description: server.description, port: server.port })) result.servers++;
      for (const tool of server.tools) {
        const handler = deps.handlers.get(tool.handler ?? tool.name);
        const body = { ...tool, description: tool.description ?? handler?.description ?? tool.name };
        if (await writes.createIfMissing({ actor: ACTOR, serverId: server.id, body })) result.tools++;
      }
    }
  });
  result.sampleRows = (await seedSampleData(deps.database.db)).inserted;
  return result;
}

/** First start: seed only when there is no server at all (an emptied registry stays as the user left it otherwise). */
export async function seedIfEmpty(deps: SeedDeps): Promise<SeedResult | undefined> {
  if (await deps.store.hasAnyServer()) return undefined;
  return applySeedFile(deps);
}

/** Seed a database outside a running Toolport (`toolport seed`, tests): a write service of its own. */
export function seed(database: Database, handlers: ReadonlyMap<string, Handler>, file?: string): Promise<SeedResult> {
  const store = new RegistryStore(database.db);
  const writes = new ToolWrites({ store, registry: new Registry(store, handlers, silentLogger), handlers, health: undefined });
  return applySeedFile({ database, store, writes, handlers }, file);
}
