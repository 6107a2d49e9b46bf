import { randomUUID } from 'node:crypto';
import { getPath } from 'hono/utils/url';
import { PROTECTED_RESOURCE_METADATA_PATH } from '../auth/oauth/metadata.ts';
import { RESERVED_SERVER_IDS } from '../registry/composed-names.ts';
import type { Registry } from '../registry/registry.ts';
import { AppError, errorBody } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ListenerApp } from './listener-app.ts';
import { type Listener, type Servable, startListener } from './listeners.ts';

export interface GatewayDeps {
  registry: Pick<Registry, 'snapshot' | 'serverIds' | 'on' | 'off'>;
  /** A served server's app under `/<id>` (createListenerApp with the path prefix). */
  serverApp(serverId: string): ListenerApp;
  /** The gateway's own routes: the composed /mcp, /health, /info, /tools, /servers and the process-wide routes. */
  root: ListenerApp;
  host: string;
  port: number;
  logger: Logger;
}

export interface Gateway extends Listener {
  /** The servers the gateway has built an app for so far (made on their first request). */
  mounted(): string[];
}

/** `/finance/tools` → `finance`; `/` or `/mcp` → the segment itself ('' for the root). */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

const METADATA_PREFIX = `${PROTECTED_RESOURCE_METADATA_PATH}/`;

/** `/.well-known/oauth-protected-resource/finance/mcp` → `finance`; undefined for any other path. */
function metadataServer(path: string): string | undefined {
  if (!path.startsWith(METADATA_PREFIX)) return undefined;
  const id = firstSegment(path.slice(METADATA_PREFIX.length - 1));
  return id === '' || RESERVED_SERVER_IDS.has(id) ? undefined : id;
}

/** The same request, its path under `/<id>` (where the server's app routes it). */
function underPrefix(request: Request, id: string): Request {
  const url = new URL(request.url);
  url.pathname = `/${id}${url.pathname}`;
  return new Request(url, request);
}

/**
 * One listener for every served server: `/<id>/…` goes to that server's app
 * (the same routes as on its own port, made on the first request and closed
 * when the server stops being served: disabled, deleted, or no longer
 * selected), everything else to the gateway's own routes. A server id that
 * names a gateway route (`mcp`, `servers` …) cannot be reached here; the
 * write service refuses such ids.
 */
export async function startGateway(deps: GatewayDeps): Promise<Gateway> {
  const { registry, root, logger } = deps;
  const apps = new Map<string, ListenerApp>();

  const unknownServer = (id: string) => {
    const served = registry
      .serverIds()
      .filter((known) => !RESERVED_SERVER_IDS.has(known))
      .sort();
    const error = new AppError(
      'not_found',
      `No server "${id.length > 100 ? `${id.slice(0, 100)}…` : id}" is served on this gateway. Served: ${served.join(', ') || '(none)'}; the gateway's own routes: /mcp, /health, /info, /tools, /servers, /registry`,
    );
    const requestId = randomUUID();
    return Response.json(errorBody(error, 'gateway', requestId), { status: 404, headers: { 'X-Request-Id': requestId } });
  };

  function appOf(id: string): ListenerApp | undefined {
    let app = apps.get(id);
    if (!app) {
      if (!registry.snapshot(id)) return undefined;
      app = deps.serverApp(id);
      apps.set(id, app);
    }
    return app;
  }

  function fetch(request: Request, env: unknown): Response | Promise<Response> {
    const path = getPath(request);
    const id = firstSegment(path);
    if (id === '' || RESERVED_SERVER_IDS.has(id)) {
      const discovery = metadataServer(path);
      const app = discovery === undefined ? undefined : appOf(discovery);
      // RFC 9728's path-inserted form of a server's gateway resource (/.well-known/oauth-protected-resource/finance/mcp)
      // is that server's document: its app answers it under its own prefix (404 there when its OAuth is off).
      if (app) return app.app.fetch(underPrefix(request, discovery!), env);
      return root.app.fetch(request, env);
    }
    const app = appOf(id);
    return app ? app.app.fetch(request, env) : unknownServer(id);
  }

  // A server no longer served: its gateway app's MCP sessions and streams end, like its own listener's.
  const onDropped = (serverId: string) => {
    const app = apps.get(serverId);
    if (!app) return;
    apps.delete(serverId);
    app.close().catch((error: Error) => logger.warn('closing a gateway path failed', { server: serverId, error: error.message }));
  };
  registry.on('dropped', onDropped);

  const servable: Servable = {
    app: { fetch },
    async close() {
      registry.off('dropped', onDropped);
      const all = [...apps.values(), root];
      apps.clear();
      await Promise.all(all.map((app) => app.close()));
    },
  };
  const listener = await startListener(servable, 'gateway', deps.host, deps.port, logger);
  return { ...listener, mounted: () => [...apps.keys()] };
}
