import { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';

/**
 * The `fetch` the upstream links give the SDK's StreamableHTTPClientTransport:
 * undici's request() on one keep-alive Agent instead of the global fetch,
 * whose WHATWG request/response machinery cost more per proxied call than
 * everything else Toolport adds (`npm run bench`, phase `upstream`).
 *
 * It keeps what the transport relies on: redirects are not followed (the SDK
 * asks with `redirect: 'manual'` and follows same-origin ones itself, seeing
 * the 3xx and its Location), an abort signal ends the request and its body,
 * and an event stream (`text/event-stream`: the GET listen stream, or a POST
 * answered as SSE) is handed over as a stream; anything else is read whole.
 */

export type UpstreamFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Statuses whose Response must have a null body. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers);
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return headers as Record<string, string>;
}

function responseHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) headers.append(name, one);
    else headers.append(name, value);
  }
  return headers;
}

function requestBody(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // The transport sends JSON text; anything else is a programming error here, not an upstream's.
  throw new TypeError('upstream fetch: only string or byte request bodies are supported');
}

export interface UpstreamHttp {
  fetch: UpstreamFetch;
  /** The keep-alive agent under `fetch`, which the links' direct calls (direct-call.ts) use too. */
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

export function createUpstreamHttp(): UpstreamHttp {
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  const fetch: UpstreamFetch = async (input, init = {}) => {
    const signal = init.signal ?? undefined;
    const answer = await request(String(input), {
      method: (init.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers: headerRecord(init.headers),
      body: requestBody(init.body),
      signal,
      dispatcher: agent,
    });
    const headers = responseHeaders(answer.headers);
    if (NULL_BODY.has(answer.statusCode)) {
      answer.body.resume();
      return new Response(null, { status: answer.statusCode, headers });
    }
    const streamed = (headers.get('content-type') ?? '').toLowerCase().startsWith('text/event-stream');
    const body = streamed ? (Readable.toWeb(answer.body) as ReadableStream<Uint8Array>) : new Uint8Array(await answer.body.arrayBuffer());
    return new Response(body, { status: answer.statusCode, headers });
  };
  return { fetch, dispatcher: agent, close: () => agent.close() };
}
