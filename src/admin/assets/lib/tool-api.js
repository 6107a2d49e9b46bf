// A tool's REST routes: its path under a server, writes with If-Match (its version), and where a refused write's errors belong.
import { request } from './api.js';

/**
 * A write to a server's routes where `ifMatch` (a tool's version) becomes If-Match, so it lands
 * only over the version that was read (412 otherwise). lib/api.js's request otherwise.
 */
export function send(method, path, body, { server, ifMatch } = {}) {
  const headers = ifMatch !== undefined && ifMatch !== null ? { 'if-match': `"${ifMatch}"` } : undefined;
  return request(method, path, body, { server, headers });
}

/** A tool's path under its server: '/tools/<name>'. */
export const toolApi = (name) => `/tools/${encodeURIComponent(name)}`;

/** Split a tool write's error details: those under /inputSchema, those under /config, and the rest (paths without a leading /body). */
export function splitDetails(details) {
  const out = { schema: [], config: [], rest: [] };
  for (const detail of details ?? []) {
    const path = String(detail.path ?? '').replace(/^\/body/, '');
    const fixed = { ...detail, path };
    if (path === '/inputSchema' || path.startsWith('/inputSchema/')) out.schema.push(fixed);
    else if (path === '/config' || path.startsWith('/config/')) out.config.push(fixed);
    else out.rest.push(fixed);
  }
  return out;
}
