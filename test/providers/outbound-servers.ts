/**
 * Real servers for the outbound HTTP tests: a node:http server on 127.0.0.1
 * (port 0) that records every request it gets, and a dns2 UDP server on
 * 127.0.0.1 (port 0) answering the A/AAAA records a test chooses per name —
 * an answer may change with the query number (DNS rebinding) — and counting
 * the queries per name and type.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dns2 from 'dns2';
import { expect } from 'vitest';
import { OutboundError } from '../../src/providers/outbound/index.ts';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface TestHttpServer {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startHttpServer(handle: (request: SeenRequest, response: ServerResponse, raw: IncomingMessage) => void): Promise<TestHttpServer> {
  const requests: SeenRequest[] = [];
  const server = createServer((raw, response) => {
    const chunks: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => chunks.push(chunk));
    raw.on('end', () => {
      const seen = { method: raw.method ?? '', url: raw.url ?? '', headers: raw.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      handle(seen, response, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Per name: the A and AAAA answers, fixed or by query number (1, 2, …). */
export type Zone = Record<string, { A?: string[] | ((query: number) => string[]); AAAA?: string[] | ((query: number) => string[]) }>;

export interface TestDnsServer {
  /** "127.0.0.1:<port>", for OutboundOptions.dnsServers */
  server: string;
  /** How many queries of `type` for `name` arrived. */
  queries(name: string, type: 'A' | 'AAAA'): number;
  close(): Promise<void>;
}

export async function startDnsServer(zone: Zone): Promise<TestDnsServer> {
  const { Packet } = dns2;
  const counts = new Map<string, number>();
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request) as unknown as {
        header: { rcode: number };
        answers: { name: string; type: number; class: number; ttl: number; address: string }[];
      };
      const question = request.questions[0] as { name: string; type: number } | undefined;
      const name = question?.name.toLowerCase() ?? '';
      const type = question?.type === Packet.TYPE.AAAA ? 'AAAA' : question?.type === Packet.TYPE.A ? 'A' : undefined;
      const entry = zone[name];
      if (!question || !type || !entry) {
        response.header.rcode = 3; // NXDOMAIN (Packet.RCODE is not in @types/dns2)
        return send(response as never);
      }
      const key = `${name} ${type}`;
      const query = (counts.get(key) ?? 0) + 1;
      counts.set(key, query);
      const answer = entry[type];
      const addresses = typeof answer === 'function' ? answer(query) : (answer ?? []);
      for (const address of addresses) {
        response.answers.push({ name: question.name, type: Packet.TYPE[type], class: Packet.CLASS.IN, ttl: 0, address });
      }
      send(response as never);
    },
  });
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const port = server.addresses().udp?.port;
  return {
    server: `127.0.0.1:${port}`,
    queries: (name, type) => counts.get(`${name} ${type}`) ?? 0,
    close: () => server.close(),
  };
}

/** The OutboundError a request fails with (the test fails if it succeeds or fails otherwise). */
export async function outboundFailure(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OutboundError);
  return error as OutboundError;
}
