import { createHash } from 'node:crypto';
import { createPatch, type Operation } from 'rfc6902';
import type { DataSourceDraft, StoredDataSource } from '../db/data-source-store.ts';
import { draftOfRow } from '../db/registry-store.ts';
import type { ServerRow, ToolRow } from '../db/schema.ts';
import type { StoredUpstream, UpstreamDraft } from '../db/upstream-store.ts';
import { canonicalJson } from '../shared/canonical-json.ts';
import { sameJson } from '../shared/json-equal.ts';
import type { DesiredRegistry, DesiredServer, DesiredSource, DesiredTool, DesiredUpstream } from './registry-desired.ts';
import { serverFieldsOf } from './server-writes.ts';

/**
 * A registry file against the registry: what applying it would create,
 * update (field by field) and — with `prune` — delete, and how much already
 * matches. Computed inside the apply's transaction, under its lock, so the
 * plan printed is the plan applied; `fingerprint` names the state it was
 * computed against (a saved plan is refused once it changed).
 */
export interface RegistryState {
  servers: Map<string, ServerRow>;
  /** Tools of the servers in scope, by server id then name (not those synced from upstreams: those are the upstream's). */
  tools: Map<string, Map<string, ToolRow>>;
  dataSources: Map<string, StoredDataSource>;
  /** The upstreams in scope (all, or those feeding the servers asked for). */
  upstreams: Map<string, StoredUpstream>;
}

export interface PlanOptions {
  /** Only these servers (their tools and upstreams); data sources are left alone. Undefined: every server the file names (every server, with prune). */
  servers?: readonly string[] | undefined;
  /** Delete what the file does not name (tools of its servers, servers, data sources, upstreams). */
  prune?: boolean | undefined;
  /** `missing` (seeding): create what is absent, change nothing that exists. */
  mode?: 'sync' | 'missing' | undefined;
}

export interface FieldChange {
  /** As the file names it (`prefix`, `config`). */
  field: string;
  before: unknown;
  after: unknown;
  /** For an object field: what changed inside it (RFC 6902). */
  patch?: Operation[];
}

export type PlanAction = 'create' | 'update' | 'delete';

export interface PlannedChange {
  kind: 'server' | 'tool' | 'dataSource' | 'upstream';
  action: PlanAction;
  /** The server id, `server/tool`, the data source id or the upstream id. */
  id: string;
  /** Update: the fields that differ. */
  fields: FieldChange[];
  /** Its JSON Pointer in the file (creates and updates). */
  at?: string;
  /** A server deleted with its tools: how many. */
  tools?: number;
}

/** One step of the plan with what it writes (not part of the plan's JSON). */
export interface PlanStep extends PlannedChange {
  server?: DesiredServer;
  tool?: DesiredTool & { serverId: string; current?: ToolRow };
  source?: DesiredSource;
  upstream?: DesiredUpstream;
  row?: ServerRow;
}

export interface RegistryPlan {
  steps: PlanStep[];
  summary: { create: number; update: number; delete: number; unchanged: number };
  /** The servers the plan covers (their tools and upstreams), and whether data sources are part of it. */
  scope: { servers: string[]; dataSources: boolean };
  fingerprint: string;
}

const TOOL_FIELD_NAMES: Record<string, string> = { handlerConfig: 'config' };
const SERVER_FIELD_NAMES: Record<string, string> = { toolPrefix: 'prefix' };
const UPSTREAM_FIELD_NAMES: Record<string, string> = { serverId: 'server' };

function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>, names: Record<string, string>): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const key of Object.keys(after)) {
    if (sameJson(before[key], after[key])) continue;
    const objects = typeof before[key] === 'object' && before[key] !== null && typeof after[key] === 'object' && after[key] !== null;
    changes.push({
      field: names[key] ?? key,
      before: before[key],
      after: after[key],
      ...(objects ? { patch: createPatch(JSON.parse(canonicalJson(before[key])), JSON.parse(canonicalJson(after[key]))) } : {}),
    });
  }
  return changes.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
}

function toolChanges(current: ToolRow, desired: DesiredTool): FieldChange[] {
  const before = { ...draftOfRow(current), rateLimit: current.rateLimit ?? null };
  const after = { ...desired.draft, rateLimit: desired.rateLimit };
  return fieldChanges(before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>, TOOL_FIELD_NAMES);
}

function sourceDraftOf(row: StoredDataSource): DataSourceDraft {
  const { description, url, access, poolSize, statementTimeoutMs, rowLimit, enabled } = row;
  return { description, url, access, poolSize, statementTimeoutMs, rowLimit, enabled };
}

/** The writable columns of an upstream, as a file entry resolves to them. */
function upstreamDraftOf(row: StoredUpstream): UpstreamDraft {
  const { id: _id, createdAt: _created, updatedAt: _updated, ...draft } = row;
  return draft;
}

/** The upstreams a plan covers: every one, or (with servers asked for) those feeding them. */
export function upstreamInScope(serverId: string, options: PlanOptions): boolean {
  return options.servers === undefined || options.servers.includes(serverId);
}

/** The servers a plan covers: those asked for; else the file's (and, with prune, the registry's too). */
export function scopeOf(desired: DesiredRegistry, state: Pick<RegistryState, 'servers'>, options: PlanOptions): string[] {
  const ids = options.servers ? new Set(options.servers) : new Set([...desired.servers.keys(), ...(options.prune ? state.servers.keys() : [])]);
  return [...ids].sort();
}

/** What the plan depends on: the version of every row in scope (a saved plan is applied only against the same). */
export function fingerprintOf(state: RegistryState, scope: RegistryPlan['scope']): string {
  const parts: string[] = [];
  for (const id of scope.servers) {
    const server = state.servers.get(id);
    if (server) parts.push(`s:${id}:${server.version}`);
    for (const [name, tool] of [...(state.tools.get(id) ?? new Map<string, ToolRow>())].sort(([a], [b]) => (a < b ? -1 : 1)))
      parts.push(`t:${id}/${name}:${tool.version}`);
  }
  if (scope.dataSources) for (const [id, source] of [...state.dataSources].sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`d:${id}:${source.updatedAt}`);
  for (const [id, upstream] of [...state.upstreams].sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`u:${id}:${upstream.updatedAt.toISOString()}`);
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

export function planRegistry(desired: DesiredRegistry, state: RegistryState, options: PlanOptions = {}): RegistryPlan {
  const prune = options.prune === true && options.mode !== 'missing';
  const syncing = options.mode !== 'missing';
  const steps: PlanStep[] = [];
  let unchanged = 0;
  const scope = { servers: scopeOf(desired, state, options), dataSources: options.servers === undefined };

  if (scope.dataSources) {
    for (const [id, source] of [...desired.dataSources].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const current = state.dataSources.get(id);
      if (!current) steps.push({ kind: 'dataSource', action: 'create', id, fields: [], at: source.at, source });
      else {
        const fields = syncing ? fieldChanges(sourceDraftOf(current) as never, source.draft as never, {}) : [];
        if (fields.length) steps.push({ kind: 'dataSource', action: 'update', id, fields, at: source.at, source });
        else unchanged++;
      }
    }
    if (prune)
      for (const id of [...state.dataSources.keys()].sort())
        if (!desired.dataSources.has(id)) steps.push({ kind: 'dataSource', action: 'delete', id, fields: [] });
  }

  for (const serverId of scope.servers) {
    const want = desired.servers.get(serverId);
    const row = state.servers.get(serverId);
    const tools = state.tools.get(serverId) ?? new Map<string, ToolRow>();
    if (!want) {
      if (row && prune) steps.push({ kind: 'server', action: 'delete', id: serverId, fields: [], tools: tools.size, row });
      continue;
    }
    if (!row) steps.push({ kind: 'server', action: 'create', id: serverId, fields: [], at: want.at, server: want });
    else {
      const fields = syncing ? fieldChanges(serverFieldsOf(row) as never, want.fields as unknown as Record<string, unknown>, SERVER_FIELD_NAMES) : [];
      if (fields.length) steps.push({ kind: 'server', action: 'update', id: serverId, fields, at: want.at, server: want, row });
      else unchanged++;
    }
    for (const [name, tool] of [...want.tools].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const current = tools.get(name);
      const id = `${serverId}/${name}`;
      if (!current) steps.push({ kind: 'tool', action: 'create', id, fields: [], at: tool.at, tool: { ...tool, serverId } });
      else {
        const fields = syncing ? toolChanges(current, tool) : [];
        if (fields.length) steps.push({ kind: 'tool', action: 'update', id, fields, at: tool.at, tool: { ...tool, serverId, current } });
        else unchanged++;
      }
    }
    if (prune)
      for (const name of [...tools.keys()].sort())
        if (!want.tools.has(name)) steps.push({ kind: 'tool', action: 'delete', id: `${serverId}/${name}`, fields: [] });
  }

  for (const [id, upstream] of [...desired.upstreams].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!upstreamInScope(upstream.draft.serverId, options)) continue;
    const current = state.upstreams.get(id);
    if (!current) steps.push({ kind: 'upstream', action: 'create', id, fields: [], at: upstream.at, upstream });
    else {
      const fields = syncing ? fieldChanges(upstreamDraftOf(current) as never, upstream.draft as never, UPSTREAM_FIELD_NAMES) : [];
      if (fields.length) steps.push({ kind: 'upstream', action: 'update', id, fields, at: upstream.at, upstream });
      else unchanged++;
    }
  }
  if (prune)
    for (const id of [...state.upstreams.keys()].sort()) if (!desired.upstreams.has(id)) steps.push({ kind: 'upstream', action: 'delete', id, fields: [] });

  const count = (action: PlanAction) => steps.filter((step) => step.action === action).length;
  return {
    steps,
    summary: { create: count('create'), update: count('update'), delete: count('delete'), unchanged },
    scope,
    fingerprint: fingerprintOf(state, scope),
  };
}

/** The plan as JSON answers and plan files carry it (no rows). */
export function planView(plan: RegistryPlan) {
  return {
    summary: plan.summary,
    scope: plan.scope,
    fingerprint: plan.fingerprint,
    changes: plan.steps.map(({ kind, action, id, fields, at, tools }) => ({
      kind,
      action,
      id,
      ...(fields.length ? { fields } : {}),
      ...(at ? { at } : {}),
      ...(tools !== undefined ? { tools } : {}),
    })),
  };
}
