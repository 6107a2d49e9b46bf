/**
 * The upstream of the bench's `upstream` phase: an MCP server written with
 * the SDK v2 (createMcpHandler, a low-level Server) over @hono/node-server,
 * with one tool `quote` answering a fixed quote as structuredContent. The
 * phase calls it directly (a plain 2026-07-28 tools/call) and through a
 * Toolport upstream (REST /tools/call of `bench_quote`).
 * Prints `listening <port>` once bound (argv[2], default 0 = any free port).
 */
import { serve } from '@hono/node-server';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';

const QUOTE_TOOL = {
  name: 'quote',
  description: 'A stock quote (bench upstream)',
  inputSchema: { type: 'object', properties: { symbol: { type: 'string', minLength: 1 } }, required: ['symbol'] },
  outputSchema: { type: 'object', properties: { symbol: { type: 'string' }, price: { type: 'number' }, currency: { type: 'string' } }, required: ['symbol'] },
};

const make = () => {
  const server = new Server({ name: 'bench-upstream', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: [QUOTE_TOOL] }) as never);
  server.setRequestHandler('tools/call', (request) => {
    const quote = { symbol: String(request.params.arguments?.symbol), price: 190.12, currency: 'USD' };
    return { content: [{ type: 'text', text: JSON.stringify(quote) }], structuredContent: quote } as never;
  });
  return server;
};

const mcp = createMcpHandler(make);
// Buffered, so every answer has a Content-Length (the load generator compares whole bodies).
const answer = async (request: Request) => {
  const response = await mcp.fetch(request);
  return new Response(await response.arrayBuffer(), { status: response.status, headers: response.headers });
};
const listener = serve({ fetch: answer, port: Number(process.argv[2] ?? '0'), hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.on('SIGTERM', () => {
  listener.close(() => process.exit(0));
});
