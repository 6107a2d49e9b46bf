import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer, maxHeaderSize, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener, RequestError } from '@hono/node-server';
import { AppError, errorBody } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ListenerApp } from './listener-app.ts';

/** What a listener serves: a server's app, or the gateway's dispatcher (anything with a fetch). */
export type Servable = Pick<ListenerApp, 'close'> & { app: { fetch: (request: Request, env: any) => Response | Promise<Response> } };

/** One HTTP listener serving one server's tools. */
export interface Listener {
  serverId: string;
  host: string;
  port: number;
  url: string;
  close(timeoutMs: number): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(serverId: string, host: string, port: number) {
    super(
      `Cannot start server "${serverId}": port ${port} on ${host} is already in use.` +
        ` Stop whatever holds it, or move this server: TOOLPORT_SERVERS=${serverId}:<port> (or --servers ${serverId}:<port>).`,
    );
    this.name = 'PortInUseError';
  }
}

/** Start listening with a server's app; resolves once bound (port 0 picks a free port). */
export async function startListener(listenerApp: Servable, serverId: string, host: string, port: number, logger: Logger): Promise<Listener> {
  const { app, close: closeApp } = listenerApp;
  const requestListener = getRequestListener(app.fetch, { errorHandler: (error) => requestErrorResponse(error, serverId, logger) });
  // No Host header is not Node's bare 400 but @hono/node-server's RequestError, answered below with the error body.
  const server = createServer({ requireHostHeader: false }, requestListener);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, serverId, maxHeaderSize));
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      void closeApp();
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(serverId, host, port) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
  server.on('error', (error) => logger.error('listener error', { server: serverId, error: error.message }));
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    serverId,
    host,
    port: bound,
    url: `http://${urlHost}:${bound}`,
    async close(timeoutMs) {
      await closeApp();
      await closeGracefully(server, timeoutMs);
    },
  };
}

/**
 * A request @hono/node-server cannot turn into a fetch Request (no or an
 * invalid Host header, a backslash in the path, an absolute URL …) is
 * answered here, before any route; without this it would get a bare 400.
 */
function requestErrorResponse(error: unknown, serverId: string, logger: Logger): Response {
  if (error instanceof RequestError) {
    const appError = new AppError('bad_request', `Malformed request: ${error.message}`);
    const requestId = randomUUID();
    return Response.json(errorBody(appError, serverId, requestId), { status: appError.status, headers: { 'X-Request-Id': requestId } });
  }
  const requestId = randomUUID();
  logger.error('request failed before routing', { server: serverId, requestId, error: (error as Error)?.message ?? String(error) });
  return Response.json(errorBody(new AppError('internal', 'Internal error; see the server log'), serverId, requestId), {
    status: 500,
    headers: { 'X-Request-Id': requestId },
  });
}

const answered = new WeakSet<Duplex>();

/**
 * Requests Node's HTTP parser refuses never reach Hono: a URL plus headers
 * over Node's limit (16 KB by default), a request line or headers that do not
 * parse, headers that take too long. Node would answer a bare status line;
 * this answers the same status with the JSON error body, then closes the
 * connection (the rest of what the client sends is read and dropped, so the
 * close is not a reset that could lose the answer).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, serverId: string, headerLimit: number): void {
  if (answered.has(socket)) return; // the parser reports every further chunk too
  answered.add(socket);
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  let appError: AppError;
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      appError = new AppError(
        'headers_too_large',
        `The request line and headers are larger than ${headerLimit} bytes (the URL counts): send long input in a JSON body instead`,
      );
      break;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      appError = new AppError('payload_too_large', 'The chunk extensions of the request body are too large');
      break;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      appError = new AppError('request_timeout', 'The request did not arrive in time');
      break;
    default:
      appError = new AppError('bad_request', `Malformed HTTP request${error.code ? ` (${error.code})` : ''}`);
  }
  const requestId = randomUUID();
  const body = JSON.stringify(errorBody(appError, serverId, requestId));
  socket.end(
    `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
  socket.resume();
  setTimeout(() => socket.destroy(), 1000).unref();
}

/**
 * Stop accepting, let requests in flight finish, then cut what is left after
 * `timeoutMs` (a stuck handler or an open stream must not hold shutdown forever).
 */
function closeGracefully(server: HttpServer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
