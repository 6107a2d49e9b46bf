/**
 * The bare hop of the bench's `http` phase: the least an HTTP-backed tool
 * can do — take the REST call's body, send GET <upstream>/quote/{symbol} on
 * one keep-alive undici agent, answer the JSON as `structuredContent` — with
 * none of Toolport (no registry, validation, SSRF policy, limits, audit,
 * metrics). Run on Toolport's core, it measures what the extra hop itself
 * costs on this machine, so the phase can tell that apart from Toolport's
 * own work. argv[2]: the upstream's origin; argv[3]: the port (default 0).
 * Prints `listening <port>` once bound.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

const upstream = process.argv[2]!;
const agent = new Agent({ keepAliveTimeout: 30_000 });

const server = createServer(async (req, res) => {
  try {
    let text = '';
    for await (const chunk of req) text += chunk;
    const { arguments: args } = JSON.parse(text) as { arguments: { symbol: string } };
    const answer = await request(`${upstream}/quote/${encodeURIComponent(args.symbol)}`, { method: 'GET', dispatcher: agent });
    const out = JSON.stringify({ structuredContent: await answer.body.json() });
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
