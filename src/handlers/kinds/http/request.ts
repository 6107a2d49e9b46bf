import type { SecretScope } from '../../../shared/secrets.ts';
import { ToolInputError } from '../../define.ts';
import { placedArguments } from './check.ts';
import { bodyMode, type HttpConfig } from './config.ts';
import { fillTemplate } from './template.ts';

/**
 * One call's arguments → the upstream request: the URL template filled, the
 * query parameters (arguments named in `query`, then `staticQuery`), headers
 * (static ones with their secrets resolved, then `headerArgs`), and the body.
 * An argument that cannot be sent (a missing URL value, a header value with a
 * line break) is a ToolInputError naming it, i.e. a 400.
 */

export interface BuiltRequest {
  method: string;
  /** The filled URL, handed to the outbound client as it is (not printed and parsed again). */
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

const ACCEPT = 'application/json, text/*;q=0.9, */*;q=0.8';

/** A query or header value as text: arrays are handled by the caller, objects travel as JSON. */
function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function appendQuery(url: URL, config: HttpConfig, args: Record<string, unknown>, secrets: SecretScope): void {
  for (const name of config.query) {
    const value = args[name];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== undefined && item !== null) url.searchParams.append(name, asText(item));
    } else {
      url.searchParams.append(name, asText(value));
    }
  }
  for (const [name, value] of Object.entries(config.staticQuery)) url.searchParams.append(name, secrets.resolve(value));
}

function buildHeaders(config: HttpConfig, args: Record<string, unknown>, secrets: SecretScope): Record<string, string> {
  const headers: Record<string, string> = {};
  const has = (name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);
  for (const [name, value] of Object.entries(config.headers)) {
    const resolved = secrets.resolve(value);
    // The config was checked for line breaks; a secret's value was not (it never passes a write).
    if (/[\r\n\0]/.test(resolved)) throw new Error(`the value of header "${name}" contains CR, LF or NUL after its secret references were resolved`);
    headers[name] = resolved;
  }
  for (const [argument, header] of Object.entries(config.headerArgs)) {
    const value = args[argument];
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.map(asText).join(', ') : asText(value);
    if (/[\r\n\0]/.test(text))
      throw new ToolInputError(`argument "${argument}" is sent as header ${header} and must not contain CR, LF or NUL`, `/${argument}`);
    headers[header] = text;
  }
  if (!has('accept')) headers.accept = ACCEPT;
  return headers;
}

/** The request for one call; `secrets` collects the values it resolved, for redaction. */
export function buildRequest(config: HttpConfig, args: Record<string, unknown>, secrets: SecretScope, requestId?: string): BuiltRequest {
  const url = new URL(fillTemplate(config.url, args));
  appendQuery(url, config, args, secrets);
  const headers = buildHeaders(config, args, secrets);
  // The call's request id goes upstream, so both sides' logs can be joined (a header the config sets wins).
  if (requestId && !Object.keys(headers).some((key) => key.toLowerCase() === 'x-request-id')) headers['x-request-id'] = requestId;
  let body: string | undefined;
  if (bodyMode(config) === 'arguments') {
    const placed = placedArguments(config);
    const rest = Object.fromEntries(Object.entries(args).filter(([name]) => !placed.has(name)));
    body = JSON.stringify(rest);
    if (!Object.keys(headers).some((key) => key.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  return { method: config.method, url, headers, body };
}
