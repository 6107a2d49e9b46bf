/**
 * Request bodies are JSON and nothing else. Refusing other media types is
 * also a CSRF defence: a web page can send `text/plain` or form-encoded
 * bodies cross-site without a CORS preflight, but never `application/json`.
 */

/** Why a Content-Type is not accepted for a JSON body, or undefined when it is (`application/json`, optionally `; charset=utf-8`). */
export function jsonContentTypeProblem(header: string | null | undefined): string | undefined {
  if (header === 'application/json') return undefined;
  if (!header) return 'Content-Type is missing: send "Content-Type: application/json"';
  const [essence = '', ...parameters] = header.split(';');
  if (essence.trim().toLowerCase() !== 'application/json') {
    return `Content-Type "${header.slice(0, 100)}" is not accepted: send "Content-Type: application/json" with a JSON body`;
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=', 2).map((part) => part.trim());
    if (name.toLowerCase() !== 'charset') continue;
    const charset = value.replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      return `Content-Type charset "${value.slice(0, 40)}" is not accepted: JSON bodies are read as UTF-8 (send charset=utf-8 or no charset)`;
    }
  }
  return undefined;
}
