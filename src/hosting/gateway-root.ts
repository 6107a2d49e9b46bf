import type { ServerRow } from '../db/schema.ts';
import type { DeploymentView, ManagedServer } from '../handlers/management/deployment.ts';
import { createManagementTools } from '../handlers/management/index.ts';
import type { ServerSummary } from '../http/app-deps.ts';
import { builtInEntry } from '../registry/built-in-entry.ts';
import type { ToolCaller } from '../registry/call.ts';
import { composedCaller } from '../registry/composed-caller.ts';
import { type ComposedCatalog, createComposedCatalog } from '../registry/composed-catalog.ts';
import { MANAGEMENT_SERVER_ID } from '../registry/composed-names.ts';
import type { ServerSnapshot } from '../registry/registry.ts';
import { searchPresentation } from '../registry/search-tools.ts';
import { serverSettings } from '../registry/server-view.ts';
import { ToolSearchIndex } from '../registry/tool-search.ts';
import type { Config } from '../shared/config.ts';
import { createServingApp, type ListenerApp, type ListenerAppDeps } from './listener-app.ts';
import type { Listener } from './listeners.ts';

export interface GatewayRootDeps {
  listenerDeps: ListenerAppDeps;
  /** The unguarded call path (search_tools runs on it: it reads only what the caller sees). */
  plainCaller: ToolCaller;
  config: Pick<Config, 'strictToolNames' | 'searchThreshold'>;
  /** The servers table as the server manager last read it, and the listeners it runs. */
  servers: { rows(): readonly ServerRow[]; listeners: ReadonlyMap<string, Listener> };
  /** The gateway's base URL once it listens. */
  gatewayUrl(): string | undefined;
  databaseKind: string;
}

export interface GatewayRoot {
  app: ListenerApp;
  catalog: ComposedCatalog;
  /** Every served server as the gateway's /health and /info show it. */
  summaries(): ServerSummary[];
}

/** A served server's state: its own port failed, some of its tools cannot be called (not merely disabled), or fine. */
function serverState(snapshot: ServerSnapshot, failure: string | undefined): Pick<ServerSummary, 'status' | 'reason'> {
  if (failure) return { status: 'listener_failed', reason: failure };
  const broken = snapshot.ordered.filter((entry) => !entry.available && entry.reason !== 'disabled').length;
  return broken
    ? { status: 'degraded', reason: `${broken} tool${broken === 1 ? '' : 's'} unavailable (see GET /${snapshot.server.id}/tools)` }
    : { status: 'ok' };
}

/**
 * The gateway's own routes: REST and `/mcp` over the composed catalog (the
 * management tools, then every composed server's tools under its prefix,
 * with tool search past TOOLPORT_SEARCH_THRESHOLD), /health and /info
 * summarizing every server, and the process-wide routes (/servers, /keys,
 * /audit, /data-sources, /handlers) as on every listener.
 */
export function createGatewayRoot(deps: GatewayRootDeps): GatewayRoot {
  const { listenerDeps, config, servers } = deps;
  const { registry, status } = listenerDeps;

  const failureOf = (id: string) => status.view().listenerFailures.find((failure) => failure.serverId === id)?.error;

  function summaries(): ServerSummary[] {
    return registry
      .serverIds()
      .sort()
      .flatMap((id) => {
        const snapshot = registry.snapshot(id);
        if (!snapshot) return [];
        return [
          {
            id,
            ...serverState(snapshot, failureOf(id)),
            port: snapshot.server.port,
            path: `/${id}`,
            tools: { total: snapshot.tools.size, available: snapshot.available.length },
          },
        ];
      });
  }

  function managed(row: ServerRow): ManagedServer {
    const snapshot = registry.snapshot(row.id);
    const own = servers.listeners.get(row.id)?.url;
    const gateway = deps.gatewayUrl();
    const onGateway = snapshot && gateway ? `${gateway}/${row.id}` : undefined;
    const state = snapshot ? serverState(snapshot, failureOf(row.id)) : undefined;
    return {
      ...serverSettings(row),
      endpoints: {
        ...(own ? { port: own } : {}),
        ...(onGateway ? { gateway: onGateway } : {}),
        mcp: [own, onGateway].filter((url): url is string => url !== undefined).map((url) => `${url}/mcp`),
      },
      tools: { total: snapshot?.tools.size ?? 0, available: snapshot?.available.length ?? 0 },
      health: state?.status ?? 'not_served',
      ...(state?.reason ? { error: state.reason } : {}),
    };
  }

  const deployment: DeploymentView = {
    version: listenerDeps.version,
    get gatewayUrl() {
      return deps.gatewayUrl();
    },
    database: deps.databaseKind,
    servers: () => [...servers.rows()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(managed),
    tools(serverId) {
      const snapshot = registry.snapshot(serverId);
      if (!snapshot) return undefined;
      const composed = new Map(
        [...(catalog.view()?.tools.values() ?? [])].filter((entry) => entry.row.serverId === serverId).map((entry) => [entry.row.name, entry.name]),
      );
      return snapshot.ordered.map((entry) => ({
        name: entry.name,
        ...(composed.has(entry.name) ? { composedName: composed.get(entry.name)! } : {}),
        handler: entry.row.handler,
        enabled: entry.row.enabled,
        available: entry.available,
        ...(entry.available ? {} : { reason: entry.reason }),
      }));
    },
  };

  const management = createManagementTools(deployment).map((tool) => builtInEntry(MANAGEMENT_SERVER_ID, tool));
  const catalog = createComposedCatalog({ registry, management, strictNames: config.strictToolNames, logger: listenerDeps.logger });
  const index = new ToolSearchIndex();
  const app = createServingApp(listenerDeps, {
    serverId: MANAGEMENT_SERVER_ID,
    catalog,
    caller: composedCaller(listenerDeps.caller, deps.plainCaller),
    present: searchPresentation({ base: catalog, index, threshold: config.searchThreshold }),
    ui: 'gateway',
    deployment: () => {
      const problems = catalog.problems();
      return { servers: summaries(), ...(problems.length ? { composedProblems: problems } : {}) };
    },
  });
  return {
    app: {
      app: app.app,
      async close() {
        catalog.close();
        await app.close();
      },
    },
    catalog,
    summaries,
  };
}
