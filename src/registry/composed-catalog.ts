import { composedVisibilityOf } from '../auth/visibility.ts';
import type { Logger } from '../shared/logger.ts';
import type { ToolCatalog } from './catalog.ts';
import { composedName, composedNameProblem, MANAGEMENT_SERVER_ID, prefixOf } from './composed-names.ts';
import type { Registry, RegistryChange } from './registry.ts';
import { AvailableTool, type CatalogView, type ServerSnapshot, type ToolEntry, UnavailableTool } from './snapshot.ts';

export interface ComposedCatalogDeps {
  registry: Pick<Registry, 'serverIds' | 'snapshot' | 'on' | 'off'>;
  /** Listed first and unprefixed (server "toolport"): the management tools. */
  management: readonly ToolEntry[];
  /** TOOLPORT_STRICT_TOOL_NAMES=1: a composed name over 64 characters or with a "." is left out. */
  strictNames: boolean;
  logger: Logger;
}

/** The gateway's main catalog: a ToolCatalog, plus what /health shows about it. */
export interface ComposedCatalog extends ToolCatalog {
  /** The servers whose tools are in the view now. */
  composedServers(): ReadonlySet<string>;
  /** Tools left out of the view and why (a name clash a psql edit made, a name too long); empty normally. */
  problems(): readonly string[];
  close(): void;
}

interface ComposedView extends CatalogView {
  readonly servers: ReadonlySet<string>;
  readonly problems: readonly string[];
}

/** The prefixed entry of a server's entry, kept while the entry and the prefix are unchanged (so views compare by identity). */
const prefixed = new WeakMap<ToolEntry, { name: string; entry: ToolEntry }>();

function composedEntry(entry: ToolEntry, name: string): ToolEntry {
  const known = prefixed.get(entry);
  if (known?.name === name) return known.entry;
  const made = entry.available
    ? new AvailableTool(name, entry.row, entry.handler, entry.config)
    : new UnavailableTool(name, entry.row, entry.reason, entry.handler, entry.schemaChecked);
  prefixed.set(entry, { name, entry: made });
  return made;
}

function isComposed(snapshot: ServerSnapshot | undefined): snapshot is ServerSnapshot {
  if (snapshot === undefined) return false;
  return snapshot.server.enabled && snapshot.server.compose && snapshot.server.id !== MANAGEMENT_SERVER_ID;
}

const byName = (a: ToolEntry, b: ToolEntry) => (a.name < b.name ? -1 : 1);

/**
 * Every composed server's tools under `<prefix>_<name>`, after the
 * management tools, in one deterministic list (sorted by name). Servers are
 * taken in id order, so if two names clash anyway (the write services refuse
 * that; a psql edit can still do it) the server first by id keeps the name,
 * the other tool is left out and named in problems() — never two tools of
 * one name. Rebuilt on first use after any composed server changed; entries
 * that did not change are the same objects as before, so filtered views,
 * list caches and MCP notifications see only real changes.
 */
export function createComposedCatalog(deps: ComposedCatalogDeps): ComposedCatalog {
  const { registry, management, strictNames, logger } = deps;
  const subscribers = new Set<() => void>();
  let current: ComposedView | undefined;
  let revision = 0;
  let reported = new Set<string>();

  function build(): ComposedView {
    const tools = new Map<string, ToolEntry>();
    const problems: string[] = [];
    for (const entry of management) tools.set(entry.name, entry);
    const servers = new Set<string>();
    const snapshots = registry
      .serverIds()
      .sort()
      .map((id) => registry.snapshot(id))
      .filter(isComposed);
    for (const snapshot of snapshots) {
      servers.add(snapshot.server.id);
      const prefix = prefixOf(snapshot.server);
      for (const entry of snapshot.ordered) {
        const name = composedName(prefix, entry.name);
        const problem = composedNameProblem(name, strictNames);
        const holder = tools.get(name);
        if (problem) problems.push(`${snapshot.server.id}/${entry.name}: ${problem}`);
        else if (holder) problems.push(`${snapshot.server.id}/${entry.name}: "${name}" is taken by ${holder.row.serverId}/${holder.row.name}`);
        else tools.set(name, composedEntry(entry, name));
      }
    }
    const ordered = [...tools.values()];
    // In prefix order the list is sorted already unless one prefix starts another ("fin", "fin_x"): sort only then.
    if (ordered.some((entry, index) => index > 0 && ordered[index - 1]!.name > entry.name)) ordered.sort(byName);
    const fresh = problems.filter((problem) => !reported.has(problem));
    if (fresh.length) logger.warn('composed tools left out of the gateway /mcp', { problems: fresh });
    reported = new Set(problems);
    return {
      revision: ++revision,
      tools,
      ordered,
      available: ordered.filter((entry): entry is AvailableTool => entry.available),
      info: {
        id: MANAGEMENT_SERVER_ID,
        name: 'Toolport',
        description: `Every composed server's tools (${[...servers].join(', ') || 'none'}) and the management tools`,
      },
      servers,
      problems,
    };
  }

  function view(): ComposedView {
    current ??= build();
    return current;
  }

  const onChanged = (change: RegistryChange | string) => {
    const serverId = typeof change === 'string' ? change : change.serverId;
    // A change of a server composed before, or composed now (its compose flag may just have been set).
    if (current && !current.servers.has(serverId) && !isComposed(registry.snapshot(serverId))) return;
    current = undefined;
    for (const notify of subscribers) notify();
  };
  registry.on('changed', onChanged);
  registry.on('dropped', onChanged);

  const composedServers = () => view().servers;
  return {
    label: 'the gateway /mcp',
    writableServerId: undefined,
    view,
    resolve: (name) => view().tools.get(name),
    visibility: (scopes) => composedVisibilityOf(scopes, MANAGEMENT_SERVER_ID, composedServers),
    subscribe(onChange) {
      subscribers.add(onChange);
      return () => subscribers.delete(onChange);
    },
    composedServers,
    problems: () => view().problems,
    close() {
      registry.off('changed', onChanged);
      registry.off('dropped', onChanged);
      subscribers.clear();
    },
  };
}
