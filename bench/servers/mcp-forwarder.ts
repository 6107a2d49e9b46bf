/**
 * The bare hop of the bench's `upstream` phase: the least a proxy can do —
 * take the REST call's body, send the same 2026-07-28 `tools/call` to the
 * upstream on one keep-alive undici agent, answer its result — with none of
 * Toolport (no registry, validation, limits, audit, metrics). Run on
 * Toolport's core, it measures what the extra hop itself costs on this
 * machine (two more loopback round trips and their wake-ups between cores),
 * so the phase can tell that apart from Toolport's own work.
 * argv[2]: the upstream's MCP URL; argv[3]: the port (default 0). Prints
 * `listening <port>` once bound.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

const upstream = process.argv[2]!;
const agent = new Agent({ keepAliveTimeout: 30_000 });
const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'bench-forwarder', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
let sequence = 0;

const server = createServer(async (req, res) => {
  try {
    let text = '';
    for await (const chunk of req) text += chunk;
    const { name, arguments: args } = JSON.parse(text) as { name: string; arguments: Record<string, unknown> };
    const tool = name.replace(/^bench_/, '');
    const answer = await request(upstream, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': tool,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++sequence, method: 'tools/call', params: { name: tool, arguments: args, _meta: META } }),
      dispatcher: agent,
    });
    const { result } = (await answer.body.json()) as { result: unknown };
    const out = JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  } catch (error) {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(String(error));
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.argv[3] ?? '0'), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
