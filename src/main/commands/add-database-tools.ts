import { parseArgs } from 'node:util';
import { openDatabase } from '../../db/client.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { DataSourceStore } from '../../db/data-source-store.ts';
import { migrate } from '../../db/migrate.ts';
import { RegistryStore } from '../../db/registry-store.ts';
import type { Handler } from '../../handlers/define.ts';
import { type DatabaseMode, MODES } from '../../handlers/kinds/database/index.ts';
import { SAMPLES_SOURCE_ID } from '../../providers/data-sources/types.ts';
import { addDatabaseTools } from '../../registry/database-pack.ts';
import { Registry } from '../../registry/registry.ts';
import { ToolWrites } from '../../registry/tool-writes.ts';
import type { Config } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { withHandlerKinds } from '../runtime.ts';
import { cliAudit } from './cli-audit.ts';

/**
 * `toolport add-database-tools --server <id> --source <source> --mode <mode>
 * [--prefix <p>] [--json]`: the database tool pack's rows on a server,
 * written straight to the configured database through the write service
 * (actor `cli:add-database-tools`); a running Toolport on the same database
 * picks them up through its change feed.
 */

export const ADD_DATABASE_TOOLS_USAGE = `usage: toolport add-database-tools --server <id> --source <source> --mode <${MODES.join('|')}> [--prefix <prefix>] [--json]`;

const ACTOR = 'cli:add-database-tools';

export async function runAddDatabaseTools(config: Config, argv: string[], builtIns: ReadonlyMap<string, Handler>): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { server: { type: 'string' }, source: { type: 'string' }, mode: { type: 'string' }, prefix: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length || !values.server || !values.source || !values.mode) throw new Error(ADD_DATABASE_TOOLS_USAGE);
  if (!(MODES as readonly string[]).includes(values.mode)) throw new Error(`--mode must be one of ${MODES.join(', ')}\n${ADD_DATABASE_TOOLS_USAGE}`);
  const mode = values.mode as DatabaseMode;

  // The kinds check each tool's config as on POST /tools; no statement runs here.
  const kinds = withHandlerKinds(config, builtIns, silentLogger);
  const handlers = kinds.handlers;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  } catch (error) {
    await kinds.close();
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new Error(`${error.message}\nWhile that Toolport runs, add the tools through it: POST /tools/packs/database on the server's port.`);
  }
  try {
    await migrate(database, config.databaseUrl);
    const source = values.source === SAMPLES_SOURCE_ID ? { access: 'read_only' as const } : await new DataSourceStore(database.db).get(values.source);
    if (!source) throw new Error(`no data source "${values.source}": add it first (toolport data-sources add ${values.source} --url '\${secret:NAME}')`);
    if (source.access === 'read_only' && mode.endsWith('_rw')) {
      throw new Error(
        `data source "${values.source}" is read_only: mode ${mode} would be unavailable (use ${mode.replace('_rw', '_ro')}, or make the source read_write)`,
      );
    }
    const store = new RegistryStore(database.db, { revisionsKeep: config.revisionsKeep });
    // No snapshot is loaded: the registry only takes the rows written.
    const registry = new Registry(store, handlers, silentLogger, config.limits);
    const audit = cliAudit(database, config);
    const writes = new ToolWrites({ store, registry, handlers, health: undefined, limits: config.limits, audit: audit.log });
    const result = await addDatabaseTools({ writes, actor: ACTOR, serverId: values.server, source: values.source, mode, prefix: values.prefix }).finally(() =>
      audit.flush(),
    );
    const text = [
      `added ${result.tools.length} database tools (${mode}, source "${result.source}") to server "${result.server}":`,
      ...result.tools.map((tool) => `  ${tool.name}`),
    ].join('\n');
    process.stdout.write(`${values.json ? JSON.stringify(result, null, 2) : text}\n`);
  } finally {
    await database.close();
    await kinds.close();
  }
}
