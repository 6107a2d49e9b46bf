import type { StoredDataSource } from '../db/data-source-store.ts';
import type { RegistryStore } from '../db/registry-store.ts';
import type { ServerRow, ToolRow } from '../db/schema.ts';
import type { StoredUpstream } from '../db/upstream-store.ts';
import type { Handler } from '../handlers/define.ts';
import { MCP_PROXY } from '../handlers/kinds/mcp-proxy/index.ts';
import type { AuditEntry } from '../observability/audit-entry.ts';
import { type ActorInput, type AuditRecorder, actorColumns, writeActor } from '../observability/audit-write.ts';
import { SAMPLES_SOURCE_ID } from '../providers/data-sources/types.ts';
import { AppError } from '../shared/errors.ts';
import { checkServerComposition } from './composed-clashes.ts';
import { assertNoIssues, checkTools, type DesiredRegistry, resolveDocument } from './registry-desired.ts';
import { exportDocument, serializeDocument } from './registry-export.ts';
import { type ParsedRegistryFile, parseRegistryFile, type RegistryFileFormat, registryFileError } from './registry-file.ts';
import { type PlanOptions, type PlanStep, planRegistry, type RegistryPlan, type RegistryState, scopeOf, upstreamInScope } from './registry-plan.ts';
import type { SchemaLimits } from './schema-limits.ts';
import { assertPortFree } from './server-writes.ts';
import type { ToolWrites } from './tool-writes.ts';

/**
 * The registry as code: `export` writes it as a registry file; `apply`
 * makes the registry match one — a plan (create / update field by field /
 * delete with prune / unchanged), then, unless a dry run, all of it in one
 * transaction under an advisory lock (two applies never interleave), tools
 * through the tool write service (checked like any POST, revisions and
 * audit entries as an import). A problem anywhere in the file refuses the
 * whole file, naming every path; nothing is written.
 */
export interface RegistryFilesDeps {
  store: RegistryStore;
  writes: ToolWrites;
  handlers: ReadonlyMap<string, Handler>;
  limits?: SchemaLimits | undefined;
  audit?: AuditRecorder | undefined;
  strictToolNames: boolean;
  /** Once an apply committed: bring this process's listeners (servers written), data sources and upstream connections in line. */
  afterApply?: ((written: Written) => Promise<void>) | undefined;
}

export interface ApplyOptions extends PlanOptions {
  /** Plan only: nothing is written. */
  dryRun?: boolean | undefined;
  /** The fingerprint of a saved plan: refused (412) if the registry changed since it was made. */
  expectFingerprint?: string | undefined;
  /** The file's name, for messages (`registry.yaml:12:7 /servers/0/tools/3/inputSchema …`). */
  fileName: string;
  /** How to read it; default: by the name's extension, else by its first character. */
  format?: RegistryFileFormat | undefined;
}

/** What an apply wrote, for what must follow it in this process. */
export interface Written {
  servers: string[];
  dataSources: boolean;
  upstreams: boolean;
}

export interface ApplyResult {
  plan: RegistryPlan;
  applied: boolean;
}

export class RegistryFiles {
  constructor(private readonly deps: RegistryFilesDeps) {}

  /** The registry (or the named servers, without data sources) as a registry file's text. */
  async export(options: { servers?: readonly string[] | undefined; format: RegistryFileFormat }): Promise<string> {
    const { store } = this.deps;
    const all = await store.listServers();
    const servers = options.servers ? all.filter((row) => options.servers!.includes(row.id)) : all;
    const missing = (options.servers ?? []).filter((id) => !all.some((row) => row.id === id));
    if (missing.length)
      throw new AppError('not_found', `No server ${missing.map((id) => `"${id}"`).join(', ')} to export (servers: ${all.map((row) => row.id).join(', ')})`);
    const tools = await store.listAllTools(options.servers ? servers.map((row) => row.id) : undefined);
    const dataSources = options.servers ? undefined : await store.dataSourceStore().list();
    const upstreams = (await store.upstreamStore().list()).filter((row) => !options.servers || options.servers.includes(row.serverId));
    return serializeDocument(exportDocument({ servers, tools, dataSources, upstreams }, this.deps.handlers), options.format);
  }

  /** Parse, resolve and check a file (no database): its problems all at once, by path. */
  read(text: string, fileName: string, format?: RegistryFileFormat): { file: ParsedRegistryFile; desired: DesiredRegistry } {
    const file = parseRegistryFile(text, fileName, format);
    const issues: Parameters<typeof assertNoIssues>[0] = [];
    const desired = resolveDocument(file.document, this.deps.handlers, issues);
    assertNoIssues(issues, (found) => registryFileError(file, fileName, found));
    return { file, desired };
  }

  async apply(by: ActorInput, text: string, options: ApplyOptions): Promise<ApplyResult> {
    const who = writeActor(by);
    const { file, desired } = this.read(text, options.fileName, options.format);
    const written: Written = { servers: [], dataSources: false, upstreams: false };
    const entries: AuditEntry[] = [];
    const batchActor = { ...who, import: { kind: 'registry-apply', file: options.fileName } };
    const plan = await this.deps.writes.batch(batchActor, async (writes, store) => {
      await store.lockRegistryApply();
      const state = await loadState(store, desired, options);
      const unknown = (options.servers ?? []).filter((id) => !desired.servers.has(id) && !state.servers.has(id));
      if (unknown.length) throw new AppError('not_found', `No server ${unknown.map((id) => `"${id}"`).join(', ')} in ${options.fileName} or in the registry`);
      const plan = planRegistry(desired, state, options);
      if (options.expectFingerprint !== undefined && options.expectFingerprint !== plan.fingerprint) {
        throw new AppError(
          'precondition_failed',
          `The registry changed since the plan was made (fingerprint ${options.expectFingerprint}, now ${plan.fingerprint}): nothing was applied. Make a new plan and review it.`,
          { extra: { fingerprint: plan.fingerprint } },
        );
      }
      const toWrite = plan.steps.flatMap((step) => (step.tool && step.action !== 'delete' ? [step.tool] : []));
      assertNoIssues(checkTools(toWrite, this.deps.handlers, this.deps.limits), (found) => registryFileError(file, options.fileName, found));
      if (options.dryRun || plan.steps.length === 0) return plan;
      await this.execute(plan, { writes, store, who, written, entries });
      return plan;
    });
    const applied = !options.dryRun && plan.steps.length > 0;
    if (applied) {
      for (const entry of entries) this.deps.audit?.record(entry);
      await this.deps.afterApply?.(written);
    }
    return { plan, applied };
  }

  private async execute(
    plan: RegistryPlan,
    run: {
      writes: ToolWrites;
      store: RegistryStore;
      who: ReturnType<typeof writeActor>;
      written: Written;
      entries: AuditEntry[];
    },
  ): Promise<void> {
    const { writes, store, who, written, entries } = run;
    const servers = store.serverStore();
    const sources = store.dataSourceStore();
    const by = (action: PlanStep['action'], kind: PlanStep['kind']) => plan.steps.filter((step) => step.action === action && step.kind === kind);
    const note = (action: string, details: Record<string, unknown>, serverId: string | null = null) =>
      entries.push({ ...actorColumns(who), action, serverId, outcome: 'ok', details: { ...details, import: { kind: 'registry-apply' } } });

    for (const step of [...by('create', 'dataSource'), ...by('update', 'dataSource')]) {
      const draft = step.source!.draft;
      if (step.action === 'create') await sources.insert(step.id, draft);
      else await sources.update(step.id, draft);
      note(step.action === 'create' ? 'source.create' : 'source.update', { source: step.id, access: draft.access, url: draft.url });
      written.dataSources = true;
    }
    const composed: ServerRow[] = [];
    for (const step of [...by('create', 'server'), ...by('update', 'server')]) {
      const fields = step.server!.fields;
      if (step.action === 'create' || step.row?.port !== fields.port) await assertPortFree(servers, fields.port, fields.id);
      const row = step.action === 'create' ? await servers.insert(fields) : await servers.update(fields.id, fields);
      composed.push(row);
      note(
        step.action === 'create' ? 'server.create' : 'server.update',
        step.action === 'create' ? { port: row.port } : { changed: step.fields.map((f) => f.field) },
        row.id,
      );
      written.servers.push(row.id);
    }
    for (const step of by('delete', 'tool')) {
      const [serverId, name] = splitToolId(step.id);
      await writes.delete({ ...who, serverId, name });
    }
    for (const step of [...by('create', 'tool'), ...by('update', 'tool')]) {
      const tool = step.tool!;
      if (step.action === 'create') await writes.create({ ...who, serverId: tool.serverId, body: tool.body, rateLimit: tool.rateLimit });
      else
        await writes.replace({
          ...who,
          serverId: tool.serverId,
          name: tool.body.name,
          body: tool.body,
          rateLimit: tool.rateLimit,
          ifMatch: tool.current?.version,
        });
      if (!written.servers.includes(tool.serverId)) written.servers.push(tool.serverId);
    }
    for (const row of composed) await checkServerComposition(servers, row, this.deps.strictToolNames);
    await this.writeUpstreams(plan, store, note);
    if (plan.steps.some((step) => step.kind === 'upstream')) written.upstreams = true;
    for (const step of by('delete', 'server')) {
      await servers.delete(step.id);
      note('server.delete', { toolsDeleted: step.tools ?? 0 }, step.id);
      written.servers.push(step.id);
    }
    for (const step of by('delete', 'dataSource')) {
      const users = await sources.toolsUsing(step.id, 10);
      if (users.total > 0) {
        throw new AppError(
          'conflict',
          `Data source "${step.id}" is not in the file but ${users.total} tool${users.total === 1 ? '' : 's'} still use it (${users.tools.map((t) => `${t.serverId}/${t.name}`).join(', ')}): nothing was applied`,
        );
      }
      await sources.delete(step.id);
      note('source.delete', { source: step.id });
      written.dataSources = true;
    }
  }

  /**
   * Upstreams after the servers they feed: each one's server must exist once
   * the plan is applied, and a server the plan deletes may keep none. Their
   * tools follow when this process (and every other, through the change
   * feed) reconnects and syncs.
   */
  private async writeUpstreams(
    plan: RegistryPlan,
    store: RegistryStore,
    note: (action: string, details: Record<string, unknown>, serverId?: string | null) => void,
  ) {
    const upstreams = store.upstreamStore();
    const deletedServers = new Set(plan.steps.flatMap((step) => (step.kind === 'server' && step.action === 'delete' ? [step.id] : [])));
    const known = new Set((await store.listServers()).map((row) => row.id));
    for (const step of plan.steps) {
      if (step.kind !== 'upstream') continue;
      if (step.action === 'delete') {
        const removed = await upstreams.delete(step.id);
        note('upstream.delete', { upstream: step.id, server: removed.serverId }, removed.serverId);
        continue;
      }
      const draft = step.upstream!.draft;
      if (!known.has(draft.serverId) || deletedServers.has(draft.serverId)) {
        throw new AppError(
          'bad_request',
          `Upstream "${step.id}" feeds server "${draft.serverId}", which ${deletedServers.has(draft.serverId) ? 'this apply deletes' : 'is neither in the file nor in the registry'}: nothing was applied`,
          { details: [{ path: `${step.at}/server`, message: `no server "${draft.serverId}"` }] },
        );
      }
      if (step.action === 'create') await upstreams.insert(step.id, draft);
      else await upstreams.update(step.id, draft);
      note(
        step.action === 'create' ? 'upstream.create' : 'upstream.update',
        { upstream: step.id, server: draft.serverId, transport: draft.transport },
        draft.serverId,
      );
    }
    const remaining = deletedServers.size ? await upstreams.list() : [];
    for (const id of deletedServers) {
      const kept = remaining.filter((row) => row.serverId === id);
      if (kept.length) {
        throw new AppError(
          'conflict',
          `Server "${id}" is not in the file but upstream${kept.length === 1 ? '' : 's'} ${kept.map((row) => `"${row.id}"`).join(', ')} still feed${kept.length === 1 ? 's' : ''} it: nothing was applied`,
        );
      }
    }
  }
}

function splitToolId(id: string): [string, string] {
  const slash = id.indexOf('/');
  return [id.slice(0, slash), id.slice(slash + 1)];
}

/** The rows a plan compares with: every server, the tools of those in scope, the data sources (not the built-in one). */
async function loadState(store: RegistryStore, desired: DesiredRegistry, options: PlanOptions): Promise<RegistryState> {
  const serverRows = await store.listServers();
  const servers = new Map(serverRows.map((row) => [row.id, row]));
  const scope = scopeOf(desired, { servers }, options);
  const tools = new Map<string, Map<string, ToolRow>>();
  for (const row of scope.length ? await store.listAllTools(scope) : []) {
    // Synced from an upstream: the upstream's, neither compared nor pruned.
    if (row.handler === MCP_PROXY) continue;
    let named = tools.get(row.serverId);
    if (!named) tools.set(row.serverId, (named = new Map()));
    named.set(row.name, row);
  }
  const dataSources = new Map<string, StoredDataSource>();
  if (options.servers === undefined)
    for (const source of await store.dataSourceStore().list()) if (source.id !== SAMPLES_SOURCE_ID) dataSources.set(source.id, source);
  const upstreams = new Map<string, StoredUpstream>();
  for (const row of await store.upstreamStore().list()) if (upstreamInScope(row.serverId, options)) upstreams.set(row.id, row);
  return { servers, tools, dataSources, upstreams };
}
