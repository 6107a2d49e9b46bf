/**
 * The upstream of the bench's `http` phase: a minimal local REST API on bare
 * node:http, answering `GET /quote/<symbol>` with a small fixed JSON quote
 * (the symbol echoed, URL-decoded) and `GET /health`; anything else is a 404.
 * The phase calls it directly and through an `http` tool of Toolport: the
 * difference of the two is what Toolport adds per call.
 * Prints `listening <port>` once bound (argv[2], default 0 = any free port).
 */
import { createServer } from 'node:http';

const JSON_TYPE = { 'content-type': 'application/json' };
const QUOTE = /^\/quote\/([^/?]+)$/;

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0]!;
  const match = request.method === 'GET' ? QUOTE.exec(path) : null;
  let symbol: string | undefined;
  try {
    symbol = match ? decodeURIComponent(match[1]!) : undefined;
  } catch {
    symbol = undefined;
  }
  if (symbol !== undefined) {
    const body = JSON.stringify({ symbol, price: 190.12, currency: 'USD' });
    response.writeHead(200, { ...JSON_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
  } else if (request.method === 'GET' && path === '/health') {
    response.writeHead(200, JSON_TYPE).end('{"status":"ok"}');
  } else {
    response.writeHead(404, JSON_TYPE).end(JSON.stringify({ error: `no route ${request.method} ${path}` }));
  }
  // Drain a request body, if any, so the connection stays usable.
  request.resume();
});

server.listen(Number(process.argv[2] ?? '0'), '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
