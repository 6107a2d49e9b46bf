import * as v from 'valibot';
import { defineHandler, type Handler, ToolInputError } from '../define.ts';
import { calculateStatsHandler } from './calculate_stats.ts';
import type { DeploymentView } from './deployment.ts';

export type { DeploymentView, ManagedServer, ManagedTool } from './deployment.ts';

/** A management tool: defined in code, listed on the gateway's /mcp (server "toolport"). */
export interface ManagementTool {
  handler: Handler;
  title: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown> | undefined;
  annotations: Record<string, unknown>;
}

const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false };

function asTool(handler: Handler): ManagementTool {
  return {
    handler,
    title: handler.title ?? handler.name,
    description: handler.description,
    inputSchema: handler.inputSchema,
    outputSchema: handler.outputSchema,
    annotations: handler.annotations,
  };
}

/** The four tools of the gateway's main endpoint, over a live view of the deployment. */
export function createManagementTools(deployment: DeploymentView): ManagementTool[] {
  const serverInfo = defineHandler({
    name: 'get_server_info',
    title: 'Deployment overview',
    description: 'This Toolport deployment: version, database, gateway URL, and every served server with its endpoints, tool counts and health.',
    input: v.object({}),
    annotations: READ_ONLY,
    run() {
      const servers = deployment.servers();
      const served = servers.filter((server) => server.health !== 'not_served');
      return {
        version: deployment.version,
        database: deployment.database,
        gateway: deployment.gatewayUrl ?? null,
        servers: served.map(({ id, name, port, endpoints, tools, health, error }) => ({
          id,
          name,
          port,
          endpoints,
          tools,
          health,
          ...(error ? { error } : {}),
        })),
        totals: {
          servers: served.length,
          tools: served.reduce((sum, server) => sum + server.tools.total, 0),
          available: served.reduce((sum, server) => sum + server.tools.available, 0),
        },
      };
    },
  });

  const listAll = defineHandler({
    name: 'list_all_servers',
    title: 'List all servers',
    description:
      'Every server row with its configuration (port, prefix, compose flag, rate limit, OAuth settings; secrets redacted), disabled ones too unless include_disabled is false.',
    input: v.object({
      include_disabled: v.optional(v.pipe(v.boolean(), v.description('List disabled servers too (default true).')), true),
    }),
    annotations: READ_ONLY,
    run({ include_disabled }) {
      return {
        servers: deployment.servers().filter((server) => include_disabled || server.enabled),
      };
    },
  });

  const subConfig = defineHandler({
    name: 'get_sub_server_config',
    title: 'One server’s configuration',
    description: 'The configuration of one server (secrets redacted) and its tools: name, name on this endpoint, handler, enabled, available.',
    input: v.object({
      server_id: v.pipe(v.string(), v.minLength(1), v.maxLength(128), v.description('The server id, e.g. "finance".')),
    }),
    annotations: READ_ONLY,
    run({ server_id }) {
      const servers = deployment.servers();
      const server = servers.find((candidate) => candidate.id === server_id);
      if (!server) {
        throw new ToolInputError(`No server "${server_id}". Known: ${servers.map((candidate) => candidate.id).join(', ') || '(none)'}`, '/server_id');
      }
      return { ...server, toolList: deployment.tools(server_id) ?? [] };
    },
  });

  return [serverInfo, listAll, subConfig, calculateStatsHandler].map(asTool);
}
