// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { parseArgs } from 'node:util';
import { type Database, openDatabase } from '../../db/client.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { DataSourceStore } from '../../db/data-source-store.ts';
import { migrate } from '../../db/migrate.ts';
import { DataSourceCatalog } from '../../registry/data-source-catalog.ts';
import { type DataSourceView, dataSourceView } from '../../registry/data-source-view.ts';
import { DataSourceWrites } from '../../registry/data-source-writes.ts';
import type { Config } from '../../shared/config.ts';
import { AppError } from '../../shared/errors.ts';
import { formatTable } from '../../shared/format-table.ts';
import { silentLogger } from '../../shared/logger.ts';
import { cliAudit } from './cli-audit.ts';

/**
 * `toolport data-sources list | show <id> | add <id> --url '${secret:NAME}' … |
 * set <id> --enabled false … | remove <id>`: the data_sources table, written
 * straight to the configured database through the write service (actor
 * `cli`); a running Toolport on the same database follows through its change
 * feed. The URL is only ever a reference; the secret's value is never read
 * here beyond whether it is set.
 */

export const DATA_SOURCES_USAGE = `usage: toolport data-sources <list | show <id> | add <id> | set <id> | remove <id>> [options]

  list [--json]                          every source (the built-in samples included)
  show <id> [--json]                     one source
  add <id> --url '\${secret:NAME}' [--access read_only|read_write] [--pool-size N]
         [--statement-timeout-ms N] [--row-limit N] [--description TEXT] [--enabled true|false]
                                         a new source; its URL is the env variable TOOLPORT_SECRET_NAME
  set <id> [--enabled true|false] [--url …] [--access …] [--pool-size N] [--statement-timeout-ms N]
         [--row-limit N] [--description TEXT]
                                         change the options given
  remove <id>                            delete a source no tool uses`;

const ACTOR = 'cli';

/** Flag ↔ body field: errors name the flag the user typed. */
const FLAGS = {
  url: 'url',
  access: 'access',
  'pool-size': 'poolSize',
  'statement-timeout-ms': 'statementTimeoutMs',
  'row-limit': 'rowLimit',
  description: 'description',
  enabled: 'enabled',
} as const;

const NUMERIC = new Set(['poolSize', 'statementTimeoutMs', 'rowLimit']);

/** A flag's text as the JSON a REST client would send: numbers and booleans typed, anything else left for the check to refuse. */
function typed(field: string, text: string): unknown {
  if (NUMERIC.has(field) && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (field === 'enabled' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function bodyOf(values: Record<string, string | boolean | undefined>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(FLAGS)) {
    const value = values[flag];
    if (typeof value === 'string') body[field] = typed(field, value);
  }
  return body;
}

/** `/poolSize` → `--pool-size` in the messages of a refused body. */
function withFlagNames(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const flagOf = (path: string) => {
    const entry = Object.entries(FLAGS).find(([, field]) => path === `/${field}`);
    return entry ? `--${entry[0]}` : path;
  };
  const rename = (text: string) => text.replace(/\/([A-Za-z]+)/g, (whole) => flagOf(whole));
  return new AppError(error.code, rename(error.message), {
    details: error.details?.map((detail) => ({ path: flagOf(detail.path), message: detail.message })),
    extra: error.extra,
  });
}

const COLUMNS = ['id', 'enabled', 'access', 'url', 'secretSet', 'poolSize', 'statementTimeoutMs', 'rowLimit', 'description'];

/** A table, or JSON: the array for `list`, the one object otherwise. */
function shown(views: DataSourceView[], json: boolean, one = true): string {
  if (json) return JSON.stringify(one ? views[0] : views, null, 2);
  return formatTable(COLUMNS, views as unknown as Record<string, unknown>[]);
}

async function open(config: Config): Promise<Database> {
  try {
    return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new Error(
      `${error.message}\nWhile that Toolport runs, manage sources through it: GET/POST/PATCH/DELETE /data-sources on any of its ports, ` +
        'or run both against one Postgres server (DATABASE_URL).',
    );
  }
}

export async function runDataSources(config: Config, argv: string[], out: (text: string) => void = (text) => process.stdout.write(`${text}\n`)) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      access: { type: 'string' },
      'pool-size': { type: 'string' },
      'statement-timeout-ms': { type: 'string' },
      'row-limit': { type: 'string' },
      description: { type: 'string' },
      enabled: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [action = 'list', id, ...extra] = positionals;
  const needsId = action !== 'list';
  if (!['list', 'show', 'add', 'set', 'remove'].includes(action) || (needsId && !id) || extra.length || (!needsId && id)) {
    throw new Error(DATA_SOURCES_USAGE);
  }
  const database = await open(config);
  try {
    await migrate(database, config.databaseUrl);
    const store = new DataSourceStore(database.db);
    const catalog = new DataSourceCatalog({ store, logger: silentLogger });
    const audit = cliAudit(database, config);
    const writes = new DataSourceWrites({ store, catalog, health: undefined, audit: audit.log });
    const view = (definition: Parameters<typeof dataSourceView>[0]) => dataSourceView(definition, config.secret);
    const json = values.json === true;
    try {
      switch (action) {
        case 'list': {
          await catalog.load();
          return out(shown(catalog.list().map(view), json, false));
        }
        case 'show': {
          const definition = await store.get(id!);
          if (!definition) throw new AppError('not_found', `No data source "${id}"`);
          return out(shown([view(definition)], json));
        }
        case 'add': {
          const created = await writes.create(ACTOR, { id, ...bodyOf(values) });
          return out(`added data source "${created.id}"\n${shown([view(created)], json)}`);
        }
        case 'set': {
          const body = bodyOf(values);
          if (Object.keys(body).length === 0) throw new Error(`set ${id}: nothing to change\n${DATA_SOURCES_USAGE}`);
          const changed = await writes.patch(ACTOR, id!, body);
          return out(`changed data source "${changed.id}"\n${shown([view(changed)], json)}`);
        }
        default: {
          const removed = await writes.delete(ACTOR, id!);
          return out(`removed data source "${removed.id}"`);
        }
      }
    } catch (error) {
      throw withFlagNames(error);
    } finally {
      await audit.flush();
    }
  } finally {
    await database.close();
  }
}
