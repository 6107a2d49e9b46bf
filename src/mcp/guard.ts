import { localhostAllowedHostnames, localhostAllowedOrigins, validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import { jsonRpcError, SERVER_ERROR } from './jsonrpc.ts';

/**
 * The MCP transport rules for a local server: reject browser requests from
 * foreign origins (a web page must not drive local tools) and requests whose
 * Host is not a name this listener is reached by (DNS rebinding).
 */
export interface McpGuard {
  check(request: Request): Response | undefined;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * Host names a request may carry. Bound to a wildcard address, the listener
 * is meant to be reached under names we cannot know, so Host is not checked
 * (Origin still is).
 */
export function allowedHostnames(bindHost: string): string[] | undefined {
  if (WILDCARD_HOSTS.has(bindHost)) return undefined;
  const bracketed = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
  return [...new Set([...localhostAllowedHostnames(), bracketed.toLowerCase()])];
}

/**
 * TOOLPORT_ALLOWED_ORIGINS items are full origins (`https://app.example.com`,
 * matched exactly, port included) or bare host names (any scheme and port).
 * Localhost origins are always allowed: local tools such as the MCP Inspector
 * run there.
 */
function originMatcher(allowed: string[]): (origin: string) => boolean {
  const exact = new Set<string>();
  const hostnames = [...localhostAllowedOrigins()];
  for (const item of allowed) {
    if (item.includes('://')) {
      try {
        exact.add(new URL(item).origin);
      } catch {
        // config.ts accepts free text; an unparseable item can never match
      }
    } else hostnames.push(item.toLowerCase());
  }
  return (origin) => {
    if (validateOriginHeader(origin, hostnames).ok) return true;
    try {
      return exact.has(new URL(origin).origin);
    } catch {
      return false;
    }
  };
}

export function createGuard(options: { bindHost: string; allowedOrigins: string[] }): McpGuard {
  const hostnames = allowedHostnames(options.bindHost);
  const originAllowed = originMatcher(options.allowedOrigins);
  return {
    check(request) {
      const origin = request.headers.get('origin');
      if (origin && !originAllowed(origin)) {
        return jsonRpcError(
          403,
          SERVER_ERROR,
          `Origin "${origin}" is not allowed to use this MCP endpoint. Allow it with TOOLPORT_ALLOWED_ORIGINS (comma-separated origins, e.g. https://app.example.com).`,
        );
      }
      if (hostnames) {
        const host = validateHostHeader(request.headers.get('host'), hostnames);
        if (!host.ok) {
          return jsonRpcError(403, SERVER_ERROR, `${host.message}: this MCP endpoint answers only to ${hostnames.join(', ')} (DNS rebinding protection).`);
        }
      }
      return undefined;
    },
  };
}
