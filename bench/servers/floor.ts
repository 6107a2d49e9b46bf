/**
 * The floor: bare Hono on @hono/node-server (the same HTTP stack as Toolport)
 * answering every request with a prebuilt body — the bytes Toolport answered
 * for the same request, captured by the bench just before. It reads the
 * request body (every server must) but parses nothing, so its throughput is
 * the ceiling of the HTTP stack on this machine for that response size.
 *
 * Which prebuilt answer: the `x-bench-case` request header (sent only to the
 * floor). Cases come from the JSON file named by argv[2]:
 *   { "<case>": { "status": 200, "contentType": "...", "body": "..." }, ... }
 * Prints `listening <port>` once bound (port 0 = any free port).
 */
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

interface FloorCase {
  status: number;
  contentType: string;
  body: string;
}

const [casesFile, portArg = '0'] = process.argv.slice(2);
if (!casesFile) throw new Error('usage: floor.ts <cases.json> [port]');
const cases = JSON.parse(readFileSync(casesFile, 'utf8')) as Record<string, FloorCase>;
const prebuilt = new Map(
  Object.entries(cases).map(([name, c]) => [name, { status: c.status, headers: { 'content-type': c.contentType }, body: Buffer.from(c.body, 'utf8') }]),
);

const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
app.all('*', async (c) => {
  if (c.req.method === 'POST') await c.req.arrayBuffer();
  const answer = prebuilt.get(c.req.header('x-bench-case') ?? '');
  if (!answer) return c.text(`floor: unknown x-bench-case ${c.req.header('x-bench-case')}`, 404);
  return c.body(answer.body, answer.status as 200, answer.headers);
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(portArg) }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
