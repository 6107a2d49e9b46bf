import type { Scope } from '../auth/principal.ts';
import type { Visibility } from '../auth/visibility.ts';
import type { ToolCatalog } from '../registry/catalog.ts';
import { scopedCatalog } from '../registry/scoped-catalog.ts';
import { createMcpEndpoint, type McpEndpoint, type McpEndpointDeps } from './endpoint.ts';
import { createGuard } from './guard.ts';
import { jsonRpcError, SERVER_ERROR } from './jsonrpc.ts';

/**
 * /mcp of one server for callers who see different tools: one McpEndpoint
 * per visibility class (`visibility.key`: every caller with the same scopes
 * on this server shares it), each over the catalog as that class sees it. So
 * each class has its own sessions, listen-stream bus, fast-path caches and
 * change subscription: a change to a tool a caller cannot see reaches none
 * of its sessions or streams, and a cached list page is never another
 * class's. Endpoints are made on first use; the number of classes is
 * bounded, and past it the least recently used one is closed (its sessions
 * end; their clients start over, as after an idle expiry).
 */
export interface ScopedMcpEndpoints {
  label: string;
  /** The Origin/Host refusal, checked before authentication: a foreign web page gets 403, not a 401 inviting it to sign in. */
  refuse(request: Request): Response | undefined;
  /** Which tools a caller with `scopes` sees here (the catalog's visibility). */
  visibility(scopes: readonly Scope[]): Visibility;
  for(visibility: Visibility): McpEndpoint;
  close(): Promise<void>;
  /** Sessions and listen streams over every visibility class (for /metrics). */
  counts(): { sessions: number; listenStreams: number };
}

export interface ScopedMcpEndpointsDeps extends McpEndpointDeps {
  serverId: string;
  /** What a visibility class's endpoint serves, from the catalog as it sees it (the composed /mcp adds its search tools here). */
  present?: (scoped: ToolCatalog) => ToolCatalog;
  /** Visibility classes kept open at once (default 256). */
  maxClasses?: number;
}

export const MAX_VISIBILITY_CLASSES = 256;

/** What `for` returns once closed: every request is told the server is going away. */
function closedEndpoint(label: string): McpEndpoint {
  return {
    label,
    handle: async () => jsonRpcError(503, SERVER_ERROR, 'The server is shutting down'),
    close: async () => {},
    counts: () => ({ sessions: 0, listenStreams: 0 }),
  };
}

export function createScopedMcpEndpoints(deps: ScopedMcpEndpointsDeps): ScopedMcpEndpoints {
  const { serverId, logger, maxClasses = MAX_VISIBILITY_CLASSES, present = (scoped) => scoped, ...endpointDeps } = deps;
  const label = deps.catalog.label;
  const guard = createGuard({ bindHost: deps.bindHost, allowedOrigins: deps.allowedOrigins });
  /** By visibility key, in order of last use (a Map keeps insertion order: re-inserting moves a key to the end). */
  const endpoints = new Map<string, McpEndpoint>();
  let closed = false;

  function evictOldest(): void {
    const [key, endpoint] = endpoints.entries().next().value as [string, McpEndpoint];
    endpoints.delete(key);
    logger.warn('too many MCP visibility classes: closing the least recently used one (its sessions end)', {
      server: serverId,
      classes: maxClasses,
      closed: key,
    });
    endpoint.close().catch((error: Error) => logger.warn('closing an MCP visibility class failed', { server: serverId, error: error.message }));
  }

  return {
    label,
    refuse: (request) => guard.check(request),
    visibility: (scopes) => deps.catalog.visibility(scopes),
    for(visibility) {
      if (closed) return closedEndpoint(label);
      let endpoint = endpoints.get(visibility.key);
      if (endpoint) {
        endpoints.delete(visibility.key);
      } else {
        if (endpoints.size >= maxClasses) evictOldest();
        endpoint = createMcpEndpoint({ ...endpointDeps, logger, catalog: present(scopedCatalog(deps.catalog, visibility)) });
      }
      endpoints.set(visibility.key, endpoint);
      return endpoint;
    },
    counts() {
      let sessions = 0;
      let listenStreams = 0;
      for (const endpoint of endpoints.values()) {
        const now = endpoint.counts();
        sessions += now.sessions;
        listenStreams += now.listenStreams;
      }
      return { sessions, listenStreams };
    },
    async close() {
      closed = true;
      const all = [...endpoints.values()];
      endpoints.clear();
      await Promise.all(all.map((endpoint) => endpoint.close()));
    },
  };
}
