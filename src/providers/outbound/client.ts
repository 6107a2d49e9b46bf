/**
 * The SSRF-safe outbound HTTP client. Every hop of a request — the first URL
 * and each redirect target — is checked before anything connects: scheme
 * http(s) only, no credentials in the URL, a literal IP or every address the
 * host name resolves to must be public or allowed by TOOLPORT_HTTP_ALLOW.
 * The connection is then pinned to a checked address (pinned-pools.ts).
 * One deadline covers resolution, connection, redirects and the body read;
 * the body is read as a stream and cut at maxResponseBytes.
 */
import type { Dispatcher } from 'undici';
import { AllowList, normaliseHostName, parseIpLiteral, refusalReason } from './address-policy.ts';
import { Answer, readBounded } from './answer.ts';
import { OutboundError, safeUrl, safeUrlText } from './errors.ts';
import { LiteralChecks } from './literal-checks.ts';
import { PinnedPools } from './pinned-pools.ts';
import { RequestDeadline } from './request-deadline.ts';
import { createResolver, type ResolvedAddress, ResolveError, type ResolveHost } from './resolve.ts';
import type { OutboundHttp, OutboundOptions, OutboundRequest, OutboundResponse } from './types.ts';

const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Errors that mean "nothing was sent": the next checked address may be tried. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
/** Request headers that describe the body; dropped when a redirect drops the body. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
/** Request headers that carry credentials; dropped on a redirect to another origin (as fetch does). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host'];

interface Hop {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

export function createOutboundHttp(options: OutboundOptions): OutboundHttp {
  const allow = new AllowList(options.allow);
  const resolve = createResolver(options.dnsServers);
  const pools = new PinnedPools();
  const literals = new LiteralChecks(allow);
  return {
    request: (request) => send(request, { allow, resolve, pools, literals }),
    close: () => pools.close(),
  };
}

interface Parts {
  allow: AllowList;
  resolve: ResolveHost;
  pools: PinnedPools;
  literals: LiteralChecks;
}

function checkRequest(request: OutboundRequest): void {
  if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) throw new TypeError('OutboundRequest.timeoutMs must be a positive number');
  if (!Number.isInteger(request.maxResponseBytes) || request.maxResponseBytes < 0) {
    throw new TypeError('OutboundRequest.maxResponseBytes must be a non-negative integer');
  }
  const max = request.maxRedirects;
  if (max !== undefined && (!Number.isInteger(max) || max < 0)) throw new TypeError('OutboundRequest.maxRedirects must be a non-negative integer');
  if (!METHOD.test(request.method)) throw new TypeError('OutboundRequest.method must be an HTTP method token');
}

/** An absolute http(s) URL without credentials, or OutboundError 'bad_url'. A URL object is checked as it is. */
export function parseOutboundUrl(text: string | URL, base?: URL): URL {
  let url: URL;
  if (text instanceof URL) url = text;
  else {
    try {
      url = base ? new URL(text, base) : new URL(text);
    } catch {
      throw new OutboundError('bad_url', safeUrlText(text), `bad_url ${safeUrlText(text)}: not an absolute http(s) URL`);
    }
  }
  const safe = safeUrl(url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundError('bad_url', safe, `bad_url ${safe}: only http: and https: URLs may be called (got ${url.protocol})`);
  }
  if (url.username || url.password) {
    throw new OutboundError('bad_url', safe, `bad_url ${safe}: credentials in the URL are not allowed; send them in a header`);
  }
  return url;
}

async function send(request: OutboundRequest, parts: Parts): Promise<OutboundResponse> {
  checkRequest(request);
  const deadline = new RequestDeadline(request.timeoutMs, request.signal);
  const { signal } = deadline;
  const maxRedirects = request.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let hop: Hop | undefined;
  let redirects = 0;
  let from: string | undefined;
  try {
    hop = { method: request.method.toUpperCase(), url: parseOutboundUrl(request.url), headers: { ...request.headers }, body: request.body };
    for (;;) {
      if (signal.aborted) throw signal.reason;
      // An IP literal is judged at once (and remembered); a name is resolved, racing the deadline.
      const literal = parts.literals.check(hop.url.hostname);
      const via = () => (from ? ` (redirect ${redirects} from ${from})` : '');
      if (literal && 'refused' in literal) throw new OutboundError('refused', safeUrl(hop.url), `refused ${safeUrl(hop.url)}${via()}: ${literal.refused}`);
      const addresses = literal ?? (await raceSignal(resolvedAddresses(hop.url, parts, via()), signal));
      const { response, address } = await dispatch(hop, addresses, parts.pools, signal);
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode) && typeof location === 'string') {
        await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        const safe = safeUrl(hop.url);
        if (redirects >= maxRedirects) {
          throw new OutboundError('too_many_redirects', safe, `too_many_redirects ${safe}: more than ${maxRedirects} redirects`);
        }
        const next = parseOutboundUrl(location, hop.url);
        hop = redirectHop(hop, next, response.statusCode);
        from = safe;
        redirects += 1;
        continue;
      }
      const body = await readBounded(response, request.maxResponseBytes, hop.url);
      return new Answer(response.statusCode, response.headers, body, hop.url.href, redirects, address);
    }
  } catch (error) {
    throw asOutboundError(error, hop ? safeUrl(hop.url) : safeUrlText(String(request.url)), signal, request);
  } finally {
    deadline.done();
  }
}

/** The addresses a host name resolves to, in order; OutboundError 'refused' if any is not allowed. */
async function resolvedAddresses(url: URL, { allow, resolve }: Parts, via: string): Promise<ResolvedAddress[]> {
  const safe = safeUrl(url);
  const hostName = normaliseHostName(url.hostname);
  let found: ResolvedAddress[];
  try {
    found = await resolve(hostName);
  } catch (error) {
    if (error instanceof ResolveError) throw new OutboundError('network', safe, `network ${safe}${via}: ${error.message}`);
    throw error;
  }
  if (found.length === 0) throw new OutboundError('network', safe, `network ${safe}${via}: ${hostName} resolves to no address`);
  if (allow.allowsName(hostName)) return found;
  for (const entry of found) {
    const address = parseIpLiteral(entry.address);
    if (!address) throw new OutboundError('refused', safe, `refused ${safe}${via}: ${hostName} resolves to an unreadable address`);
    const reason = refusalReason(address, allow);
    if (reason)
      throw new OutboundError('refused', safe, `refused ${safe}${via}: ${hostName} resolves to ${reason.address}, ${reason.description}; ${reason.hint}`);
  }
  return found;
}

/** Sends the hop to the first checked address that accepts a connection. */
async function dispatch(hop: Hop, addresses: ResolvedAddress[], pools: PinnedPools, signal: AbortSignal) {
  let lastError: unknown;
  for (const { address, family } of addresses) {
    const got = pools.get(hop.url.origin, address, family);
    const pool = got instanceof Promise ? await got : got;
    try {
      const response = await pool.request({
        method: hop.method as Dispatcher.HttpMethod,
        path: `${hop.url.pathname}${hop.url.search}`,
        headers: hop.headers,
        body: hop.body,
        signal,
      });
      return { response, address };
    } catch (error) {
      lastError = error;
      const code = (error as { code?: unknown } | null)?.code;
      if (signal.aborted || typeof code !== 'string' || !CONNECT_FAILURES.has(code)) throw error;
    }
  }
  throw lastError;
}

/** The next hop after a redirect with `status` to `next` (method and body as fetch changes them). */
function redirectHop(hop: Hop, next: URL, status: number): Hop {
  const headers = { ...hop.headers };
  let { method, body } = hop;
  if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
    method = 'GET';
    body = undefined;
    dropHeaders(headers, BODY_HEADERS);
  }
  if (next.origin !== hop.url.origin) dropHeaders(headers, CREDENTIAL_HEADERS);
  return { method, url: next, headers, body };
}

function dropHeaders(headers: Record<string, string>, names: string[]): void {
  for (const key of Object.keys(headers)) if (names.includes(key.toLowerCase())) delete headers[key];
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolvePromise, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function asOutboundError(error: unknown, safe: string, signal: AbortSignal, request: OutboundRequest): OutboundError {
  if (error instanceof OutboundError) return error;
  if (request.signal?.aborted) return new OutboundError('aborted', safe, `aborted ${safe}: the caller cancelled the request`, { cause: error });
  if (signal.aborted) return new OutboundError('timeout', safe, `timeout ${safe}: no complete answer within ${request.timeoutMs} ms`, { cause: error });
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const reason = typeof code === 'string' && !detail.includes(code) ? `${code}: ${detail}` : detail;
  return new OutboundError('network', safe, `network ${safe}: ${reason}`, { cause: error });
}
