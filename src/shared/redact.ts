/**
 * What the management tools show of a server's settings: a `${secret:NAME}`
 * reference stays (it names a variable, it is not a value); a password in a
 * URL (`scheme://user:pass@host`) and any string under a key that names a
 * credential (`secret`, `token`, `password`, `apiKey`, `credential` …) are
 * replaced. Servers' settings hold no secrets today (OAuth settings are an
 * issuer, an audience and a JWKS URL); this keeps it so if one is added.
 */
const SECRET_REFERENCE = /^\$\{secret:[A-Za-z0-9_]+\}$/;
const CREDENTIAL_KEY = /secret|token|password|passwd|api[_-]?key|credential|private/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i;

export const REDACTED = '***redacted***';

export function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_REFERENCE.test(value)) return value;
    if (CREDENTIAL_KEY.test(key)) return REDACTED;
    return value.replace(URL_PASSWORD, '$1:***@');
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redact(item, name)]));
  }
  return value;
}
