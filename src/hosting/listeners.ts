import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from '../shared/logger.ts';
import type { ListenerApp } from './listener-app.ts';

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
export async function startListener(listenerApp: ListenerApp, serverId: string, host: string, port: number, logger: Logger): Promise<Listener> {
  const { app, close: closeApp } = listenerApp;
  const server = createAdaptorServer({ fetch: app.fetch }) as HttpServer;
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
