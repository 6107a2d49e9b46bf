// A stdio MCP server written with the v1 SDK (2025-era), for the upstream tests: `greet` and `whoami`.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'stdio-upstream', version: '1.0.0' });
server.registerTool('greet', { description: 'Greet someone', inputSchema: { name: z.string() } }, async ({ name }) => ({
  content: [{ type: 'text', text: `hello ${name}` }],
}));
server.registerTool('whoami', { description: 'The environment it was started with' }, async () => ({
  content: [{ type: 'text', text: process.env.STDIO_UPSTREAM_TOKEN ? 'token received' : 'no token' }],
}));
await server.connect(new StdioServerTransport());
