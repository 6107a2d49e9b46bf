import { readFileSync } from 'node:fs';
import type { Database } from '../db/client.ts';
import { RegistryStore } from '../db/registry-store.ts';
import type { Handler } from '../handlers/define.ts';
import { seedSampleData } from '../providers/index.ts';
import { silentLogger } from '../shared/logger.ts';
import { fromProjectRoot } from '../shared/project-root.ts';
import { Registry } from './registry.ts';
import { RegistryFiles } from './registry-files.ts';
import { ToolWrites } from './tool-writes.ts';

const SEED_FILE = fromProjectRoot('seeds', 'registry.yaml');

export interface SeedResult {
  servers: number;
  tools: number;
  sampleRows: number;
}

export interface SeedDeps {
  database: Database;
  store: RegistryStore;
  writes: ToolWrites;
  handlers: ReadonlyMap<string, Handler>;
}

const ACTOR = 'seed';

/**
 * Apply the seed file (a registry file, seeds/registry.yaml) "if missing":
 * servers by id and tools by server and name are created when absent —
 * through the write service, checked like any POST /tools, in one
 * transaction (a process starting beside this one sees all of the seed or
 * none of it) — and nothing that exists is changed or deleted; then the
 * offline sample data. Seeding twice changes nothing.
 */
export async function applySeedFile(deps: SeedDeps, file = SEED_FILE): Promise<SeedResult> {
  const files = new RegistryFiles({ store: deps.store, writes: deps.writes, handlers: deps.handlers, strictToolNames: false });
  const { plan } = await files.apply(ACTOR, readFileSync(file, 'utf8'), { fileName: file, mode: 'missing' });
  const created = (kind: 'server' | 'tool') => plan.steps.filter((step) => step.kind === kind && step.action === 'create').length;
  return { servers: created('server'), tools: created('tool'), sampleRows: (await seedSampleData(deps.database.db)).inserted };
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
