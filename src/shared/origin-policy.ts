/**
 * Who may send requests to a listener, for REST and /mcp alike (each adapter
 * answers a refusal in its own error shape):
 *
 * - a browser `Origin` must be localhost or listed in TOOLPORT_ALLOWED_ORIGINS,
 *   so no web page can drive local tools or write the registry;
 * - the `Host` must be a loopback name or the bound address (DNS rebinding),
 *   unless the listener is bound to a wildcard address.
 *
 * Requests without an Origin (curl, SDK clients, server-to-server) pass the
 * origin check: only browsers send it, and only browsers need stopping.
 */

export interface OriginPolicyOptions {
  /** The address the listener binds to (TOOLPORT_HOST). */
  bindHost: string;
  /** TOOLPORT_ALLOWED_ORIGINS: full origins (matched exactly) or bare host names (any scheme and port). */
  allowedOrigins: string[];
}

export type OriginVerdict = { ok: true } | { ok: false; reason: 'origin'; origin: string } | { ok: false; reason: 'host'; detail: string; allowed: string[] };

export interface OriginPolicy {
  check(origin: string | null | undefined, host: string | null | undefined): OriginVerdict;
}

const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * Host names a request may carry. Bound to a wildcard address, the listener
 * is meant to be reached under names we cannot know, so Host is not checked
 * (Origin still is).
 */
export function allowedHostnames(bindHost: string): string[] | undefined {
  if (WILDCARD_HOSTS.has(bindHost)) return undefined;
  const bracketed = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
  return [...new Set([...LOCALHOST_NAMES, bracketed.toLowerCase()])];
}

/** The host name of a URL, or undefined when it does not parse (or has none). */
function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** `https://app.example.com:8443`; for schemes without a web origin (browser extensions) `chrome-extension://<id>`. */
function originKey(url: URL): string {
  return url.origin !== 'null' ? url.origin : `${url.protocol}//${url.host}`;
}

/**
 * TOOLPORT_ALLOWED_ORIGINS items are full origins (`https://app.example.com`,
 * matched exactly, port included; `chrome-extension://<id>` for an extension,
 * `chrome-extension://*` for any) or bare host names (any scheme and port).
 * Localhost origins are always allowed: local tools such as the MCP Inspector
 * run there. An Origin that does not parse (including the `null` of sandboxed
 * pages and file: URLs) is refused.
 */
function originMatcher(allowed: string[]): (origin: string) => boolean {
  const exact = new Set<string>();
  const hostnames = new Set(LOCALHOST_NAMES);
  for (const item of allowed) {
    if (item.includes('://')) {
      try {
        exact.add(originKey(new URL(item)));
      } catch {
        // config.ts accepts free text; an unparseable item can never match
      }
    } else hostnames.add(item.toLowerCase());
  }
  return (origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.hostname === '') return false;
    return hostnames.has(url.hostname) || exact.has(originKey(url)) || (url.origin === 'null' && exact.has(`${url.protocol}//*`));
  };
}

/** The verdicts of the last few distinct header values: clients send the same Host on every request. */
function memo<T>(compute: (key: string) => T, size = 64): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const value = compute(key);
    if (cache.size >= size) cache.delete(cache.keys().next().value as string);
    cache.set(key, value);
    return value;
  };
}

export function createOriginPolicy(options: OriginPolicyOptions): OriginPolicy {
  const hostnames = allowedHostnames(options.bindHost);
  const originAllowed = memo(originMatcher(options.allowedOrigins));
  const hostProblem = memo((host: string): string => {
    const name = hostnameOf(`http://${host}`);
    if (name === undefined) return `Invalid Host header: ${host}`;
    return hostnames!.includes(name) ? '' : `Invalid Host: ${name}`;
  });
  return {
    check(origin, host) {
      if (origin && !originAllowed(origin)) return { ok: false, reason: 'origin', origin };
      if (hostnames) {
        const detail = host ? hostProblem(host) : 'Missing Host header';
        if (detail) return { ok: false, reason: 'host', detail, allowed: hostnames };
      }
      return { ok: true };
    },
  };
}

/** A refusal as a sentence: `subject` names what was refused ("this MCP endpoint", "this server"). */
export function refusalMessage(verdict: Exclude<OriginVerdict, { ok: true }>, subject: string): string {
  if (verdict.reason === 'origin') {
    return `Origin "${verdict.origin}" is not allowed to use ${subject}. Allow it with TOOLPORT_ALLOWED_ORIGINS (comma-separated origins, e.g. https://app.example.com).`;
  }
  return `${verdict.detail}: ${subject} answers only to ${verdict.allowed.join(', ')} (DNS rebinding protection; bind TOOLPORT_HOST to 0.0.0.0 to serve other names).`;
}
