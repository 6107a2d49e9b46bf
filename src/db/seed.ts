import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { servers, tools } from '../../drizzle/schema.ts';
import type { Handler } from '../handlers/define.ts';
import { seedSampleData } from '../providers/sample-data.ts';
import { CreateToolBody, draftFromBody } from '../registry/definition.ts';
import { parseOrThrow } from '../validation.ts';
import type { Database } from './client.ts';

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

/**
 * Insert the built-in servers, their tools and the offline sample data.
 * Idempotent: rows that exist (by server id, or server id + tool name) are left as they are.
 */
export async function seed(database: Database, handlers: ReadonlyMap<string, Handler>, file = SEED_FILE): Promise<SeedResult> {
  const data = parseOrThrow(SeedFile, JSON.parse(readFileSync(file, 'utf8')), `seed file ${file}`);
  const result: SeedResult = { servers: 0, tools: 0, sampleRows: 0 };
  await database.db.transaction(async (tx) => {
    for (const server of data.servers) {
      const inserted = await tx
        .insert(servers)
        .values({ id: server.id, name: server.name, description: server.description, port: server.port })
        .onConflictDoNothing()
        .returning({ id: servers.id });
      result.servers += inserted.length;
      for (const tool of server.tools) {
        const handler = handlers.get(tool.handler ?? tool.name);
        const draft = draftFromBody({ ...tool, description: tool.description ?? handler?.description ?? tool.name }, handlers);
        const added = await tx
          .insert(tools)
          .values({ serverId: server.id, ...draft })
          .onConflictDoNothing({ target: [tools.serverId, tools.name] })
          .returning({ id: tools.id });
        result.tools += added.length;
      }
    }
  });
  result.sampleRows = (await seedSampleData(database.db)).inserted;
  return result;
}

/** First start: seed only when there is no server at all (an emptied registry stays as the user left it otherwise). */
export async function seedIfEmpty(database: Database, handlers: ReadonlyMap<string, Handler>): Promise<SeedResult | undefined> {
  const [row] = await database.db.select({ id: servers.id }).from(servers).limit(1);
  if (row) return undefined;
  return seed(database, handlers);
}
