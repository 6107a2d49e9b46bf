import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { RegistryStore } from '../../db/registry-store.ts';
import type { Handler } from '../../handlers/define.ts';
import { Registry } from '../../registry/registry.ts';
import { formatOf } from '../../registry/registry-file.ts';
import { RegistryFiles } from '../../registry/registry-files.ts';
import { planView } from '../../registry/registry-plan.ts';
import { planText } from '../../registry/registry-plan-text.ts';
import { ToolWrites } from '../../registry/tool-writes.ts';
import type { Config } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { HandlerModules } from '../handler-modules.ts';
import { withHandlerKinds } from '../runtime.ts';
import { cliAudit } from './cli-audit.ts';
import { commandTarget, openCommandDatabase } from './command-database.ts';
import { type RemoteRegistry, remoteApply, remoteExport } from './registry-remote.ts';

export const EXPORT_USAGE = `Usage: toolport export [--server <id>]… [--format yaml|json] [--output <file>]

  The registry as a registry file (schemas/registry-file.schema.json), on stdout unless --output:
  servers, their tools and the data sources (with --server: only those servers, no data sources).
  Deterministic: an unchanged registry exports byte for byte the same.`;

export const APPLY_USAGE = `Usage: toolport apply <file> [--dry-run] [--prune] [--server <id>]… [--plan-file <plan.json>] [--json] [--exit-code]

  Make the registry match a registry file, in one transaction (all or nothing):
  --dry-run            print the plan (create / update field by field / delete / unchanged), change nothing
  --prune              also delete what the file does not name (tools of its servers, servers, data sources)
  --server <id>        only these servers and their tools (repeatable); data sources are left alone
  --plan-file <path>   with --dry-run: save the plan there; without: apply only that plan, refused if
                       the file or the registry changed since it was made
  --json               the plan as JSON instead of text
  --exit-code          with --dry-run: exit 2 when the plan has changes (CI: fail on drift)`;

const ACTOR = 'cli:apply';

/** What a saved plan holds: enough to refuse applying it to anything but what it was made from. */
interface PlanFile {
  format: 'toolport-plan/1';
  file: string;
  fileDigest: string;
  prune: boolean;
  servers: string[] | null;
  fingerprint: string;
  plan: ReturnType<typeof planView>;
}

async function handlersFor(config: Config, builtIns: ReadonlyMap<string, Handler>) {
  const kinds = withHandlerKinds(config, builtIns, silentLogger);
  const modules = await HandlerModules.open({ dir: config.handlersDir, builtIns: kinds.handlers, logger: silentLogger });
  return {
    handlers: modules.handlers,
    close: async () => {
      modules.close();
      await kinds.close();
    },
  };
}

async function withRegistryFiles<T>(
  config: Config,
  builtIns: ReadonlyMap<string, Handler>,
  work: (files: RegistryFiles, via: string) => Promise<T>,
): Promise<T> {
  const { handlers, close } = await handlersFor(config, builtIns);
  try {
    const opened = await openCommandDatabase(config);
    try {
      const store = new RegistryStore(opened.database.db, { revisionsKeep: config.revisionsKeep });
      const audit = cliAudit(opened.database, config);
      // No snapshot is loaded: the registry only takes the rows written (a running Toolport follows them through its change feed).
      const registry = new Registry(store, handlers, silentLogger, config.limits);
      const writes = new ToolWrites({
        store,
        registry,
        handlers,
        health: undefined,
        limits: config.limits,
        audit: audit.log,
        strictToolNames: config.strictToolNames,
      });
      const files = new RegistryFiles({ store, writes, handlers, limits: config.limits, audit: audit.log, strictToolNames: config.strictToolNames });
      return await work(files, opened.via).finally(() => audit.flush());
    } finally {
      await opened.close();
    }
  } finally {
    await close();
  }
}

export async function runExport(
  config: Config,
  argv: string[],
  builtIns: ReadonlyMap<string, Handler>,
  out = (text: string) => process.stdout.write(text),
): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { server: { type: 'string', multiple: true }, format: { type: 'string' }, output: { type: 'string', short: 'o' } },
  });
  if (positionals.length) throw new Error(EXPORT_USAGE);
  const format = values.format ?? (values.output?.endsWith('.json') ? 'json' : 'yaml');
  if (format !== 'yaml' && format !== 'json') throw new Error(`--format must be yaml or json, got "${format}"\n\n${EXPORT_USAGE}`);
  const remote = runningToolport(config);
  const text = remote
    ? await remoteExport(remote, { servers: values.server, format })
    : await withRegistryFiles(config, builtIns, (files) => files.export({ servers: values.server, format }));
  if (values.output) writeFileSync(values.output, text);
  else out(text);
}

/** The running Toolport holding the embedded data dir, if one does: the commands go through its REST API. */
function runningToolport(config: Config): RemoteRegistry | undefined {
  const target = commandTarget(config);
  return target.kind === 'running' ? { url: target.url, token: config.adminToken, pid: target.holder.pid } : undefined;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readPlanFile(path: string): PlanFile {
  let plan: PlanFile;
  try {
    plan = JSON.parse(readFileSync(path, 'utf8')) as PlanFile;
  } catch (error) {
    throw new Error(`--plan-file ${path} could not be read: ${(error as Error).message}`);
  }
  if (plan?.format !== 'toolport-plan/1' || typeof plan.fingerprint !== 'string')
    throw new Error(`--plan-file ${path} is not a plan saved by toolport apply --dry-run --plan-file`);
  return plan;
}

/** Exit code: 0, or 2 with --exit-code when the plan has changes. */
export async function runApply(
  config: Config,
  argv: string[],
  builtIns: ReadonlyMap<string, Handler>,
  out = (text: string) => process.stdout.write(text),
  note = (text: string) => process.stderr.write(text),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      prune: { type: 'boolean' },
      server: { type: 'string', multiple: true },
      'plan-file': { type: 'string' },
      json: { type: 'boolean' },
      'exit-code': { type: 'boolean' },
    },
  });
  const [path, ...extra] = positionals;
  if (!path || extra.length) throw new Error(APPLY_USAGE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path} could not be read: ${(error as Error).message}`);
  }
  const fileName = basename(path);
  const dryRun = values['dry-run'] === true;
  let prune = values.prune === true;
  let servers = values.server;
  let expectFingerprint: string | undefined;
  const planPath = values['plan-file'];
  if (planPath && !dryRun) {
    const saved = readPlanFile(planPath);
    if (saved.fileDigest !== digest(text)) throw new Error(`${fileName} changed since the plan in ${planPath} was made: nothing was applied. Make a new plan.`);
    if ((values.prune !== undefined && values.prune !== saved.prune) || (values.server && JSON.stringify(values.server) !== JSON.stringify(saved.servers))) {
      throw new Error(
        `The options differ from those the plan in ${planPath} was made with (prune: ${saved.prune}, servers: ${saved.servers?.join(', ') ?? 'all'})`,
      );
    }
    prune = saved.prune;
    servers = saved.servers ?? undefined;
    expectFingerprint = saved.fingerprint;
  }
  const options = { fileName, dryRun, prune, servers, expectFingerprint };
  const remote = runningToolport(config);
  let result: { applied: boolean; view: ReturnType<typeof planView>; text: string; changes: number };
  if (remote) {
    note(`toolport apply: through the running Toolport (pid ${remote.pid}) at ${remote.url}\n`);
    result = await remoteApply(remote, text, { ...options, format: formatOf(fileName, text) });
  } else {
    result = await withRegistryFiles(config, builtIns, async (files, via) => {
      note(`toolport apply: ${via}\n`);
      const { plan, applied } = await files.apply(ACTOR, text, options);
      return { applied, view: planView(plan), text: planText(plan, fileName, dryRun ? 'plan' : 'applied'), changes: plan.steps.length };
    });
  }
  const { view } = result;
  if (planPath && dryRun) {
    const saved: PlanFile = {
      format: 'toolport-plan/1',
      file: fileName,
      fileDigest: digest(text),
      prune,
      servers: servers ?? null,
      fingerprint: view.fingerprint,
      plan: view,
    };
    writeFileSync(planPath, `${JSON.stringify(saved, null, 2)}\n`);
  }
  out(values.json ? `${JSON.stringify({ applied: result.applied, ...view, dryRun: undefined }, null, 2)}\n` : result.text);
  if (planPath && dryRun) note(`Saved the plan to ${planPath}: \`toolport apply ${path} --plan-file ${planPath}\` applies exactly it.\n`);
  return values['exit-code'] && dryRun && result.changes > 0 ? 2 : 0;
}
