import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real upstream API for the `http` kind tests: a node:http server on
 * 127.0.0.1, port 0. Every request is recorded (method, path with query,
 * headers, body) and answered by the route registered for its path.
 */

export interface SeenRequest {
  method: string;
  /** Path and query as sent, e.g. "/orders/a%2Fb?tag=x". */
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export type Route = (request: SeenRequest, response: ServerResponse) => void;

export interface Upstream {
  /** e.g. "http://127.0.0.1:40123" */
  url: string;
  seen: SeenRequest[];
  /** The requests seen for one path (without the query). */
  seenAt(path: string): SeenRequest[];
  route(path: string, handle: Route): void;
  close(): Promise<void>;
}

export function sendJson(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(value));
}

export async function startUpstream(): Promise<Upstream> {
  const routes = new Map<string, Route>();
  const seen: SeenRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry: SeenRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      seen.push(entry);
      const path = entry.url.split('?')[0]!;
      const handle = routes.get(path) ?? [...routes].find(([prefix]) => prefix.endsWith('*') && path.startsWith(prefix.slice(0, -1)))?.[1];
      if (!handle) return sendJson(response, 404, { error: `no route ${path}` });
      handle(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    seenAt: (path) => seen.filter((entry) => entry.url.split('?')[0] === path),
    route: (path, handle) => routes.set(path, handle),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
