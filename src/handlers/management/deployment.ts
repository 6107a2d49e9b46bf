/** The running deployment as the management tools describe it (built by the gateway, hosting/gateway-root.ts). */
export interface ManagedServer {
  id: string;
  name: string;
  description: string;
  port: number | null;
  enabled: boolean;
  /** The effective prefix on the gateway /mcp (the id when none is set). */
  toolPrefix: string;
  compose: boolean;
  rateLimit: string | null;
  /** OAuth settings, anything credential-like already redacted (registry/server-view.ts). */
  auth: Record<string, unknown> | null;
  /** Its own port's URL, its gateway path's URL, and the MCP endpoints among them. */
  endpoints: { port?: string; gateway?: string; mcp: string[] };
  tools: { total: number; available: number };
  health: 'ok' | 'degraded' | 'listener_failed' | 'not_served';
  error?: string;
}

export interface DeploymentView {
  version: string;
  gatewayUrl: string | undefined;
  /** `pglite` or `postgres`. */
  database: string;
  /** Every servers row (disabled ones too), by id. */
  servers(): ManagedServer[];
  /** One server's tools as this process holds them (name, composed name, handler, enabled, available). */
  tools(serverId: string): ManagedTool[] | undefined;
}

export interface ManagedTool {
  name: string;
  /** Its name on the gateway /mcp, when the server is composed. */
  composedName?: string;
  handler: string;
  enabled: boolean;
  available: boolean;
  reason?: string;
}
