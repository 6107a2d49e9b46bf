import { AppError } from '../../shared/errors.ts';
import type { Json } from './load.ts';

/**
 * The base URL an operation's tool calls: `--base-url` when given, else the
 * operation's, path's or document's first `servers` entry (3.x; its
 * `{variables}` filled with their defaults) or `schemes` + `host` +
 * `basePath` (2.0). A relative URL is resolved against the document's URL;
 * with none to resolve against, or no server at all, it is a clear error.
 */

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function noBase(why: string): AppError {
  return new AppError('bad_request', `No base URL: ${why}; pass one (--base-url, or "baseUrl" over REST)`, {
    details: [{ path: '/baseUrl', message: why }],
  });
}

function fromServers(servers: unknown): string | undefined {
  if (!Array.isArray(servers) || !isObject(servers[0]) || typeof servers[0].url !== 'string') return undefined;
  const server = servers[0];
  const variables = isObject(server.variables) ? server.variables : {};
  return (server.url as string).replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const variable = variables[name];
    return isObject(variable) && variable.default !== undefined ? String(variable.default) : whole;
  });
}

function fromSwagger2(api: Json): string | undefined {
  const basePath = typeof api.basePath === 'string' ? api.basePath : '';
  if (typeof api.host !== 'string') return basePath || undefined;
  const schemes = Array.isArray(api.schemes) ? api.schemes : [];
  const scheme = schemes.includes('https') ? 'https' : typeof schemes[0] === 'string' ? schemes[0] : 'https';
  return `${scheme}://${api.host}${basePath}`;
}

/** An absolute http(s) base URL without a trailing slash. */
export function resolveBase(raw: string, location: string | undefined, what: string): string {
  let url: URL;
  if (URL.canParse(raw)) url = new URL(raw);
  else if (location && /^https?:\/\//i.test(location)) url = new URL(raw, location);
  else throw noBase(`${what} "${raw}" is relative and the document was not read from a URL`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw noBase(`${what} "${raw}" is not an http(s) URL`);
  if (/[{}]/.test(decodeURI(url.href))) throw noBase(`${what} "${raw}" has a variable without a default`);
  url.search = '';
  url.hash = '';
  return url.href.replace(/\/+$/, '');
}

export function baseUrlFor(api: Json, version: string, pathItem: Json, operation: Json, given: string | undefined, location: string | undefined): string {
  if (given) return resolveBase(given, location, 'the base URL');
  const raw = version === '2.0' ? fromSwagger2(api) : (fromServers(operation.servers) ?? fromServers(pathItem.servers) ?? fromServers(api.servers));
  if (raw === undefined) throw noBase(version === '2.0' ? 'the document has no "host"' : 'the document has no "servers"');
  return resolveBase(raw, location, 'the server URL');
}
