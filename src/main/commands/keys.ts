import { parseArgs } from 'node:util';
import { ApiKeys, type ApiKeyView, type CreatedApiKey } from '../../auth/api-keys.ts';
import { ApiKeyStore } from '../../db/api-key-store.ts';
import { type Database, openDatabase } from '../../db/client.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { migrate } from '../../db/migrate.ts';
import type { Config } from '../../shared/config.ts';
import { formatTable } from '../../shared/format-table.ts';
import { silentLogger } from '../../shared/logger.ts';
import { cliAudit } from './cli-audit.ts';

/**
 * `toolport keys create --name ci-agent --scope finance:call [--scope …]
 * [--expires 30d] [--rate 600/min]`, `keys list`, `keys revoke <id|prefix>`:
 * the api_keys table, written straight to the configured database (actor
 * `cli`); a running Toolport on the same database follows through its
 * change feed. The key is printed once, by create; nothing prints a hash.
 */
export const KEYS_USAGE = `usage: toolport keys <create | list | revoke <id|prefix>> [options]

  create --name NAME --scope SCOPE [--scope SCOPE …] [--expires 30d] [--rate 600/min] [--json]
                          a new key, printed once: store it now; send it as "Authorization: Bearer <key>"
  list [--json]           every key (revoked and expired ones too), never a secret
  revoke <id|prefix>      the key stops working on every Toolport of this database

  SCOPE   <server|*>:<list|call|write>[:<tool-glob>], or admin (everything, /keys and /audit too)
          list: see tools · call: list and call them · write: list and change the server's tools (not call)
          e.g. finance:call  ·  *:list  ·  finance:call:get_*  ·  utility:write
  --rate  the key's own limit across every Toolport process of this database: <n>/<s|min|h|day> (e.g. 600/min, 10/s, 50/10s)
  --expires  a lifetime: 45s, 90m, 12h, 30d, 2w (none: the key works until revoked)

A Toolport running on the same database follows a change within about a second (its change feed).`;

const ACTOR = 'cli';
const COLUMNS = ['prefix', 'name', 'status', 'scopes', 'rateLimit', 'expiresAt', 'lastUsedAt', 'id'];

function table(views: ApiKeyView[]): string {
  return formatTable(
    COLUMNS,
    views.map((view) => ({ ...view, scopes: view.scopes.join(' ') })),
  );
}

async function open(config: Config): Promise<Database> {
  try {
    return await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new Error(
      `${error.message}\nWhile that Toolport runs, manage keys through it: GET/POST/DELETE /keys on any of its ports (admin), ` +
        'or run both against one Postgres server (DATABASE_URL).',
    );
  }
}

export async function runKeys(config: Config, argv: string[], out: (text: string) => void = (text) => process.stdout.write(`${text}\n`)): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      expires: { type: 'string' },
      rate: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [action = 'list', ref, ...extra] = positionals;
  const valid = (action === 'list' && !ref) || (action === 'create' && !ref) || (action === 'revoke' && ref);
  if (!valid || extra.length) throw new Error(KEYS_USAGE);
  if (action === 'create' && (!values.name || !values.scope?.length)) throw new Error(`keys create needs --name and at least one --scope\n\n${KEYS_USAGE}`);
  const json = values.json === true;
  const database = await open(config);
  try {
    await migrate(database, config.databaseUrl);
    const audit = cliAudit(database, config);
    const keys = new ApiKeys({ store: new ApiKeyStore(database.db), logger: silentLogger, audit: audit.log });
    try {
      switch (action) {
        case 'create': {
          const created: CreatedApiKey = await keys.create(ACTOR, { name: values.name!, scopes: values.scope!, expiresIn: values.expires, rate: values.rate });
          if (json) return out(JSON.stringify(created, null, 2));
          const { key, ...view } = created;
          return out(`created API key "${view.name}" (${view.prefix}); it is shown this once, store it now:\n\n  ${key}\n\n${table([view])}`);
        }
        case 'revoke': {
          const revoked = await keys.revoke(ACTOR, ref!);
          return out(json ? JSON.stringify(revoked, null, 2) : `revoked API key "${revoked.name}" (${revoked.prefix})`);
        }
        default: {
          const list = await keys.list();
          return out(json ? JSON.stringify(list, null, 2) : list.length ? table(list) : 'no API keys (toolport keys create --name … --scope …)');
        }
      }
    } finally {
      await audit.flush();
    }
  } finally {
    await database.close();
  }
}
