import { parseArgs } from 'node:util';
import { openDatabase } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { handlers } from '../handlers/index.ts';
import { seed } from '../registry/seed.ts';
import { loadConfig } from '../shared/config.ts';
import { isAppError } from '../shared/errors.ts';
import { formatTable } from '../shared/format-table.ts';
import { createLogger } from '../shared/logger.ts';
import { guardDriverRejections } from './driver-guard.ts';
import { startToolport } from './toolport.ts';
import { VERSION } from './version.ts';

const USAGE = `Usage: toolport <command>

  serve [--servers finance:4001,utility]   start one HTTP listener per server (default command)
  migrate                                  apply migrations/ to the configured database
  seed                                     insert the built-in servers, tools and sample data (idempotent)
  sql "<query>"                            run SQL against the configured database and print a table
  mcp --server <id>   (or: mcp <id>)       serve one server's tools over MCP stdio (for clients that spawn a process)
  import-openapi <file-or-url> --server <id> [--base-url …] [--include <glob>] [--exclude <glob>] [--secret <scheme>=<NAME>] [--prune] [--dry-run] [--json]
                                           one http tool per operation of an OpenAPI 3.0/3.1 or Swagger 2.0 document
  data-sources list | show <id> | add <id> --url '\${secret:NAME}' [--access …] … | set <id> --enabled false … | remove <id>
                                           the databases sql tools query (data-sources --help for the options)
  add-database-tools --server <id> --source <source> --mode <user_ro|user_rw|admin_ro|admin_rw> [--prefix <p>] [--json]
                                           the database tool pack's tools, as rows of that server
  export [--server <id>…] [--format yaml|json] [--output <file>]
                                           the registry as a registry file (deterministic; export --help)
  apply <file> [--dry-run] [--prune] [--server <id>…] [--plan-file <plan.json>] [--json] [--exit-code]
                                           make the registry match a registry file, in one transaction (apply --help)
  keys create --name <n> --scope <scope> [--scope …] [--expires 30d] [--rate 600/min] | list | revoke <id|prefix>
                                           API keys every listener of this database accepts (keys --help for scopes)

Configuration comes from the environment: see .env.example and the README. Who may call: TOOLPORT_AUTH
(required | local-open; unset, it follows TOOLPORT_HOST: off loopback every request needs a key), API keys
(toolport keys), TOOLPORT_ADMIN_TOKEN, and OAuth per server (servers.auth); the start-up log line "access" says which.`;

function fail(error: unknown): never {
  if (isAppError(error) && error.details) {
    process.stderr.write(`toolport: ${error.message}\n`);
    for (const detail of error.details) process.stderr.write(`  ${detail.path}: ${detail.message}\n`);
  } else {
    process.stderr.write(`toolport: ${(error as Error)?.message ?? String(error)}\n`);
    // A driver error wrapped by drizzle ("Failed query: …") says why only in its cause.
    const cause = (error as { cause?: unknown })?.cause;
    if (cause instanceof Error) process.stderr.write(`  cause: ${cause.message}\n`);
  }
  process.exit(1);
}

async function serve(servers: string | undefined): Promise<void> {
  const config = loadConfig(process.env, { servers });
  const logger = createLogger(config.logLevel, undefined, { pretty: config.logPretty });
  guardDriverRejections(logger);
  // Which code runs: the production build (dist/, npm start) or the TypeScript source (npm run dev, tsx).
  logger.info('starting', { version: VERSION, build: import.meta.url.endsWith('.ts') ? 'source' : 'dist', node: process.version, pid: process.pid });
  const toolport = await startToolport(config, { logger });
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) {
      logger.warn('second signal: exiting now', { signal });
      process.exit(1);
    }
    logger.info('shutting down: no new requests, waiting for calls in flight', { signal, timeoutMs: config.shutdownTimeoutMs });
    toolport.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error) => {
        logger.error('shutdown failed', { error: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function withDatabase<T>(work: (database: Awaited<ReturnType<typeof openDatabase>>, url: string | undefined) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    return await work(database, config.databaseUrl);
  } finally {
    await database.close();
  }
}

async function main(argv: string[]): Promise<void> {
  // Its own options (repeatable globs and secrets), parsed by the command.
  if (argv[0] === 'import-openapi') {
    // Commands are loaded when run: the OpenAPI parser alone is ~100 ms of every start.
    const { IMPORT_USAGE, runImportOpenApi } = await import('./commands/import-openapi.ts');
    if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(`${IMPORT_USAGE}\n`);
    return runImportOpenApi(loadConfig(process.env), argv.slice(1), handlers);
  }
  if (argv[0] === 'data-sources') {
    const { DATA_SOURCES_USAGE, runDataSources } = await import('./commands/data-sources.ts');
    if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(`${DATA_SOURCES_USAGE}\n`);
    return runDataSources(loadConfig(process.env), argv.slice(1));
  }
  if (argv[0] === 'keys') {
    const { KEYS_USAGE, runKeys } = await import('./commands/keys.ts');
    if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(`${KEYS_USAGE}\n`);
    return runKeys(loadConfig(process.env), argv.slice(1));
  }
  if (argv[0] === 'export' || argv[0] === 'apply') {
    const { APPLY_USAGE, EXPORT_USAGE, runApply, runExport } = await import('./commands/registry.ts');
    if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(`${argv[0] === 'export' ? EXPORT_USAGE : APPLY_USAGE}\n`);
    if (argv[0] === 'export') return runExport(loadConfig(process.env), argv.slice(1), handlers);
    process.exitCode = await runApply(loadConfig(process.env), argv.slice(1), handlers);
    return;
  }
  if (argv[0] === 'add-database-tools')
    return (await import('./commands/add-database-tools.ts')).runAddDatabaseTools(loadConfig(process.env), argv.slice(1), handlers);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { servers: { type: 'string' }, server: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command = 'serve', ...rest] = positionals;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  switch (command) {
    case 'serve':
      return serve(values.servers);
    case 'migrate':
      return withDatabase(async (database, url) => {
        await migrate(database, url);
        process.stdout.write(`migrated ${database.describe}\n`);
      });
    case 'seed':
      return withDatabase(async (database, url) => {
        await migrate(database, url);
        const result = await seed(database, handlers);
        process.stdout.write(`seeded ${database.describe}: ${result.servers} servers, ${result.tools} tools, ${result.sampleRows} sample rows added\n`);
      });
    case 'sql': {
      const query = rest.join(' ').trim();
      if (!query) throw new Error('usage: npm run sql -- "<query>"');
      const config = loadConfig(process.env);
      const { runSql } = await import('./commands/sql.ts');
      const result = await runSql(config, query);
      process.stdout.write(formatTable(result.fields, result.rows) + '\n');
      return;
    }
    case 'mcp': {
      const serverId = values.server ?? rest[0];
      if (!serverId) throw new Error('usage: toolport mcp --server <id>   (e.g. --server finance)');
      const { runStdio } = await import('./commands/mcp.ts');
      return runStdio(loadConfig(process.env), serverId);
    }
    default:
      throw new Error(`unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch(fail);
