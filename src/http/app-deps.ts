import type { Hono } from 'hono';
import type { AccessControl } from '../auth/access.ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { UiSessions } from '../auth/ui-sessions.ts';
import type { AuditFilter, AuditPage } from '../db/audit-store.ts';
import type { AuditHealth } from '../observability/audit-counters.ts';
import type { AuditEntry } from '../observability/audit-entry.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { StatusView } from '../observability/process-status.ts';
import type { ToolCaller } from '../registry/call.ts';
import type { ToolCatalog } from '../registry/catalog.ts';
import type { DataSourceCatalog } from '../registry/data-source-catalog.ts';
import type { DataSourceWrites } from '../registry/data-source-writes.ts';
import type { RegistryFiles } from '../registry/registry-files.ts';
import type { ServerWrites } from '../registry/server-writes.ts';
import type { ToolHistory } from '../registry/tool-history.ts';
import type { ToolWrites } from '../registry/tool-writes.ts';
import type { Logger } from '../shared/logger.ts';
import type { SecretReader } from '../shared/secrets.ts';
import type { ServerChangeSubscription } from './routes/changes.ts';
import type { KnownHandlers } from './routes/handlers.ts';
import type { DatabaseProbe } from './routes/health.ts';
import type { UpstreamsRoutesDeps } from './routes/upstreams.ts';

export interface RestAppDeps {
  /** The name errors carry as `server`. */
  server: string;
  catalog: ToolCatalog;
  caller: ToolCaller;
  writes: ToolWrites;
  /** GET /tools/:name/revisions, …/diff (rollback writes through `writes`). */
  history: ToolHistory;
  /** /data-sources (admin only): the sources of this process, their write service, and the secret reader (asked only whether a secret is set). */
  dataSources: { catalog: DataSourceCatalog; writes: DataSourceWrites; secret: SecretReader };
  /** /upstreams (admin only): other MCP servers whose tools servers carry. */
  upstreams?: Pick<UpstreamsRoutesDeps, 'registry' | 'upstreams'> | undefined;
  /** Who is calling (admin token, API keys, OAuth, local-open) → a Principal; every route but /health, /ready and the OAuth metadata asks. */
  access: AccessControl;
  /** /keys (admin). */
  keys: ApiKeys;
  /** /servers (admin): the servers table without SQL. */
  servers?: ServerWrites | undefined;
  /** /registry/export and /registry/apply (admin): the registry as a registry file. */
  registryFiles?: RegistryFiles | undefined;
  /** /metrics (admin, or open with TOOLPORT_METRICS_OPEN=1) and the count of every answered request. */
  metrics?: { metrics: Metrics; open: boolean } | undefined;
  /** /audit (admin) reads the store after flushing this process's queue; /health shows the queue. */
  audit: {
    reader: { list(filter: AuditFilter): Promise<AuditPage> };
    beforeRead?: () => Promise<void>;
    health: () => AuditHealth;
    /** Where a refused request of a known caller (403: a scope it lacks) is recorded, as `access.denied`. */
    record?: (entry: AuditEntry) => void;
  };
  maxBodyBytes: number;
  /** Nesting depth a JSON body may have (TOOLPORT_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  /** The address the listener binds to and the extra browser origins allowed (Origin/Host checks on every route). */
  bindHost: string;
  allowedOrigins: string[];
  /**
   * Apps mounted beside the REST routes (/mcp): routed ahead of the REST
   * Origin/Host guard, because they check those themselves and answer in
   * their own error shape.
   */
  beside?: { path: string; app: Hono<any> }[];
  /** Default page size of GET /tools. */
  toolsPageSize: number;
  /** GET /changes streams open at once on this app (TOOLPORT_MAX_CHANGE_STREAMS; default 1000). */
  maxChangeStreams?: number | undefined;
  /** Subscribes to changes of the servers table as this process applies them (GET /changes' `servers` events); returns the unsubscribe. */
  serverChanges?: ServerChangeSubscription | undefined;
  /** The handlers this process knows now, for GET /handlers. */
  handlers: () => KnownHandlers;
  status: () => StatusView;
  /** Marks the database unreachable when a request fails for that reason. */
  databaseFailed: (error: string) => void;
  database: DatabaseProbe;
  version: string;
  /** The port any server's own listener is bound to in this process (GET /servers' listeningPort). */
  listeningPort?: ((serverId: string) => number | undefined) | undefined;
  /** The port this server listens on here, and its row's (they differ under TOOLPORT_SERVERS=finance:4001). */
  port: () => { port: number | null; configured: number | null };
  logger: Logger;
  /**
   * Where this app is mounted on the gateway (`/finance`): routes see the
   * path without it, and a Location header gets it back. Unset on a server's own port.
   */
  pathPrefix?: string | undefined;
  /** The gateway's root app: every server as /health and /info summarize it. */
  deployment?: (() => DeploymentSummary) | undefined;
  /** Admin UI sessions: the session cookie is accepted in place of `Authorization` on every route below the credential. */
  uiSessions?: UiSessions | undefined;
  /** The admin UI served here at /ui (its pages and assets; /ui/session signs in): on the gateway, or on each listener without one. */
  ui?: { assets: Hono<any>; mode: 'gateway' | 'listener' } | undefined;
}

/** One server as the gateway's /health and /info show it. */
export interface ServerSummary {
  id: string;
  status: 'ok' | 'degraded' | 'listener_failed';
  /** Why it is not ok (tools unavailable, the listener's error). */
  reason?: string;
  port: number | null;
  path: string;
  tools: { total: number; available: number };
}

export interface DeploymentSummary {
  servers: ServerSummary[];
  /** Tools the composed /mcp leaves out, and why (a clash made in SQL, a name too long). */
  composedProblems?: readonly string[];
}
