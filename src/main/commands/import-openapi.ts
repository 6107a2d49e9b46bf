import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ipaddr from 'ipaddr.js';
import { openDatabase } from '../../db/client.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { migrate } from '../../db/migrate.ts';
import { RegistryStore } from '../../db/registry-store.ts';
import type { Handler } from '../../handlers/define.ts';
import { AllowList } from '../../providers/outbound/index.ts';
import { type ImportReport, importOpenApi } from '../../registry/openapi/import.ts';
import { Registry } from '../../registry/registry.ts';
import { ToolWrites } from '../../registry/tool-writes.ts';
import type { Config } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { withHandlerKinds } from '../runtime.ts';
import { cliAudit } from './cli-audit.ts';

/**
 * `toolport import-openapi <file-or-url> --server <id> [--base-url …]
 * [--include <glob>]… [--exclude <glob>]… [--secret <scheme>=<NAME>]…
 * [--prune] [--dry-run] [--json]`: one `http` tool per operation of an
 * OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML, a file or an
 * http(s) URL), written straight to the configured database through the
 * write service (actor `import:openapi`); a running Toolport on the same
 * database picks the change up through its change feed. Prints the report.
 */

export const IMPORT_USAGE =
  'usage: toolport import-openapi <file-or-url> --server <id> [--base-url <url>] [--include <glob>]… [--exclude <glob>]… ' +
  '[--secret <scheme>=<SECRET_NAME>]… [--prune] [--dry-run] [--json]';

const ACTOR = 'import:openapi';

function parseSecrets(values: string[]): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1) throw new Error(`--secret ${value}: expected <scheme>=<SECRET_NAME>, e.g. --secret bearerAuth=BILLING_TOKEN`);
    secrets[value.slice(0, at)] = value.slice(at + 1);
  }
  return secrets;
}

/** An internal document URL is read only when TOOLPORT_HTTP_ALLOW lists its host, as for http tools. */
function internalAllowed(location: string, allow: string[]): boolean {
  if (!/^https?:\/\//i.test(location)) return false;
  const host = new URL(location).hostname.replace(/^\[|\]$/g, '');
  const list = new AllowList(allow);
  return ipaddr.isValid(host) ? list.allowsAddress(ipaddr.process(host), false) : list.allowsName(host);
}

function lines(title: string, items: { name: string; operation: string; extra?: string }[]): string[] {
  if (!items.length) return [];
  return [`${title} (${items.length}):`, ...items.map((item) => `  ${item.name.padEnd(40)} ${item.operation}${item.extra ? `  ${item.extra}` : ''}`)];
}

export function formatReport(report: ImportReport): string {
  const doc = report.document;
  const head = [
    `${report.dryRun ? 'dry run (nothing written): ' : ''}${doc.specification} "${doc.title}" ${doc.version} → server "${report.server}"`,
    `operations: ${report.operations.total} in the document, ${report.operations.selected} selected; ` +
      `created ${report.created.length}, changed ${report.changed.length}, unchanged ${report.unchanged.length}, ` +
      `removed upstream ${report.removedUpstream.length}, skipped ${report.skipped.length} (${report.elapsedMs} ms)`,
  ];
  const removedNote = report.removedUpstream.length && !report.prune ? ' — kept; --prune deletes them' : '';
  return [
    ...head,
    ...lines('created', report.created),
    ...lines(
      'changed',
      report.changed.map((item) => ({ ...item, extra: `(${item.fields.join(', ')})` })),
    ),
    ...lines(
      `removed upstream${removedNote}`,
      report.removedUpstream.map((item) => ({ ...item, extra: item.deleted ? '(deleted)' : '' })),
    ),
    ...lines(
      'skipped',
      report.skipped.map((item) => ({ ...item, extra: `— ${item.reason}` })),
    ),
    ...(report.warnings.length ? [`warnings (${report.warnings.length}):`, ...report.warnings.map((warning) => `  ${warning}`)] : []),
  ].join('\n');
}

export async function runImportOpenApi(config: Config, argv: string[], builtIns: ReadonlyMap<string, Handler>): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      'base-url': { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      secret: { type: 'string', multiple: true },
      prune: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const [source, ...extra] = positionals;
  if (!source || extra.length || !values.server) throw new Error(IMPORT_USAGE);
  const location = /^https?:\/\//i.test(source) ? source : resolve(source);
  const secrets = parseSecrets(values.secret ?? []);

  // The http kind checks each tool's config as on POST /tools; it makes no request here.
  const kinds = withHandlerKinds(config, builtIns, silentLogger);
  const { handlers } = kinds;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  } catch (error) {
    await kinds.close();
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new Error(
      `${error.message}\nWhile that Toolport runs, import through it: POST /tools/import/openapi on the server's port, ` +
        'or run both against one Postgres server (DATABASE_URL).',
    );
  }
  try {
    await migrate(database, config.databaseUrl);
    const store = new RegistryStore(database.db, { revisionsKeep: config.revisionsKeep });
    // No snapshot is loaded: the registry only takes the rows written (a running Toolport follows them through its change feed).
    const registry = new Registry(store, handlers, silentLogger, config.limits);
    const audit = cliAudit(database, config);
    const writes = new ToolWrites({ store, registry, handlers, health: undefined, limits: config.limits, audit: audit.log });
    const report = await importOpenApi(writes, {
      source: { location, internalUrls: internalAllowed(location, config.httpAllow) },
      serverId: values.server,
      actor: ACTOR,
      baseUrl: values['base-url'],
      include: values.include,
      exclude: values.exclude,
      secrets,
      prune: values.prune,
      dryRun: values['dry-run'],
    }).finally(() => audit.flush());
    process.stdout.write(`${values.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
  } finally {
    await database.close();
    await kinds.close();
  }
}
