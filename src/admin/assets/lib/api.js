// The REST API as the pages call it: same origin, the session cookie, and the session's CSRF token on every change.

/** An error answer in Toolport's envelope: { error: { code, message, details: [{ path, message }] } }. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error.code ?? `http_${status}`;
    this.details = Array.isArray(error.details) ? error.details : [];
    this.body = body;
  }
}

const state = { csrf: null, mode: 'listener', server: null, onSignedOut: () => {} };

/** What GET /ui/session said: the CSRF token, where the UI is (gateway or one listener). */
export function configure({ csrf, mode, server, onSignedOut }) {
  state.csrf = csrf ?? null;
  state.mode = mode ?? 'listener';
  state.server = server ?? null;
  if (onSignedOut) state.onSignedOut = onSignedOut;
}

export function uiMode() {
  return { mode: state.mode, server: state.server };
}

/**
 * Where a server's own routes are from this page: `/<id>` on the gateway, `` on that server's
 * own listener; undefined for another server's listener (another origin: open its own /ui).
 */
export function serverBase(serverId) {
  if (state.mode === 'gateway') return `/${encodeURIComponent(serverId)}`;
  return serverId === state.server ? '' : undefined;
}

/**
 * request('GET', '/servers') → the parsed JSON; request('POST', path, body). `server`: prefix the
 * path with that server's base; `headers`: more request headers (If-Match). Throws ApiError for an error answer; a 401 also tells the app
 * the session is over.
 */
export async function request(method, path, body, { server, raw = false, signal, headers: extra } = {}) {
  let url = path;
  if (server !== undefined) {
    const base = serverBase(server);
    if (base === undefined)
      throw new ApiError(0, { error: { code: 'elsewhere', message: `Server "${server}" is served on its own port: open its /ui there` } });
    url = base + path;
  }
  const headers = { accept: 'application/json', ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && state.csrf) headers['x-csrf-token'] = state.csrf;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
  if (raw) return response;
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { text };
    }
  }
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/ui/session')) state.onSignedOut();
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path, options) => request('GET', path, undefined, options);
export const post = (path, body, options) => request('POST', path, body ?? {}, options);
export const patch = (path, body, options) => request('PATCH', path, body, options);
export const put = (path, body, options) => request('PUT', path, body, options);
export const del = (path, options) => request('DELETE', path, undefined, options);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
