/**
 * The official-SDK baseline: an MCP server written the way the SDK v2
 * documents it — `createMcpHandler(factory)` where the factory builds a
 * fresh `McpServer` and calls `registerTool` for every tool — serving the
 * same tools (rows exported from the bench database: same names,
 * descriptions, JSON Schemas, annotations) and running the same handler
 * code as Toolport. Mounted on @hono/node-server (Toolport's HTTP stack)
 * behind the Host/Origin checks the SDK's documentation puts in front of it.
 *
 * Fair to the SDK: the JSON Schemas are compiled ONCE (`fromJsonSchema`
 * hoisted out of the factory, as a user hoists a zod schema); what remains
 * per request is exactly the documented `new McpServer` + `registerTool`s.
 * 2025-era requests use the entry's default `legacy: 'stateless'` serving
 * (the SDK's documented entry has no sessions).
 *
 * argv[2]: JSON file { servers: [{ port, name, title, version, instructions,
 * tools: [{ name, title, description, inputSchema, outputSchema, annotations, handler }] }] }
 * Prints `listening <port>` for each bound listener.
 */
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import {
  type CallToolResult,
  createMcpHandler,
  fromJsonSchema,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  McpServer,
  originValidationResponse,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import * as v from 'valibot';
import { handlers } from '../../src/handlers/index.ts';
import type { Providers } from '../../src/providers/index.ts';
import type { ExportedTool } from '../lib/db.ts';

/** The same tool definitions the bench exports from Toolport's database. */
export type SdkToolConfig = ExportedTool;

export interface SdkServerConfig {
  port: number;
  name: string;
  title: string;
  version: string;
  instructions?: string;
  tools: SdkToolConfig[];
}

const configFile = process.argv[2];
if (!configFile) throw new Error('usage: sdk.ts <config.json>');
const { servers } = JSON.parse(readFileSync(configFile, 'utf8')) as { servers: SdkServerConfig[] };

// The pure tools benchmarked here never reach a data provider.
const providers = new Proxy({} as Providers, {
  get: (_target, key) => {
    throw new Error(`the SDK baseline has no data provider (${String(key)})`);
  },
});

for (const config of servers) {
  const tools = config.tools.map((tool) => {
    const handler = handlers.get(tool.handler);
    if (!handler) throw new Error(`no handler ${tool.handler}`);
    return {
      tool,
      handler,
      input: fromJsonSchema(tool.inputSchema as never) as StandardSchemaWithJSON,
      output: tool.outputSchema ? (fromJsonSchema(tool.outputSchema as never) as StandardSchemaWithJSON) : undefined,
    };
  });

  const factory = () => {
    const server = new McpServer(
      { name: config.name, title: config.title, version: config.version },
      config.instructions ? { instructions: config.instructions } : {},
    );
    for (const { tool, handler, input, output } of tools) {
      server.registerTool(
        tool.name,
        {
          ...(tool.title ? { title: tool.title } : {}),
          description: tool.description,
          inputSchema: input,
          ...(output ? { outputSchema: output } : {}),
          ...(tool.annotations && Object.keys(tool.annotations).length ? { annotations: tool.annotations } : {}),
        },
        async (args: unknown, ctx: { mcpReq: { signal: AbortSignal } }): Promise<CallToolResult> => {
          const value = await handler.run(v.parse(handler.input, args), {
            serverId: config.name,
            toolName: tool.name,
            config: {},
            signal: ctx.mcpReq.signal,
            providers,
          });
          return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
        },
      );
    }
    return server;
  };

  const mcp = createMcpHandler(factory);
  const allowedHosts = localhostAllowedHostnames();
  const allowedOrigins = localhostAllowedOrigins();
  serve(
    {
      hostname: '127.0.0.1',
      port: config.port,
      fetch: async (request: Request) => {
        const url = new URL(request.url);
        if (url.pathname === '/health') return Response.json({ status: 'ok' });
        const rejected = hostHeaderValidationResponse(request, allowedHosts) ?? originValidationResponse(request, allowedOrigins);
        return rejected ?? mcp.fetch(request);
      },
    },
    (info) => process.stdout.write(`listening ${info.port}\n`),
  );
}
process.on('SIGTERM', () => process.exit(0));
