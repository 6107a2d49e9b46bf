/**
 * The one way providers talk to an upstream API: a GET that honours the
 * caller's AbortSignal, has its own timeout, and turns every failure into an
 * Error whose message says which service failed and why — with secrets (the
 * API key travels in the query string) replaced by "***".
 */

import { RequestDeadline } from './outbound/request-deadline.ts';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 8_000;

/** Longest piece of an upstream error body quoted in a message. */
const MAX_QUOTED_BODY = 200;

export interface GetJsonOptions {
  fetchImpl: typeof fetch;
  /** Human name of the upstream, e.g. "Alpha Vantage". */
  service: string;
  /** What the request is for, e.g. "GLOBAL_QUOTE" or "geocoding". */
  what: string;
  url: URL;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Values that must never appear in an error message. */
  secrets?: readonly (string | undefined)[];
}

/** An upstream failed or answered with something unusable. */
export class UpstreamError extends Error {
  readonly service: string;
  readonly status: number | undefined;
  constructor(service: string, message: string, status?: number) {
    super(message);
    this.name = 'UpstreamError';
    this.service = service;
    this.status = status;
  }
}

export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret) result = result.split(secret).join('***');
  }
  return result;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `reason`/`message`/`error` of a JSON error body, or the start of the text. */
function quoteBody(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (isRecord(parsed)) {
      for (const key of ['reason', 'message', 'error', 'Error Message', 'Information', 'Note']) {
        const value = parsed[key];
        if (typeof value === 'string' && value) return value.slice(0, MAX_QUOTED_BODY);
      }
    }
  } catch {
    // not JSON: quote the text itself
  }
  const flat = trimmed.replace(/\s+/g, ' ');
  return flat.length > MAX_QUOTED_BODY ? `${flat.slice(0, MAX_QUOTED_BODY)}…` : flat;
}

function causeText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message) return `${error.message}: ${cause.message}`;
  return error.message;
}

export async function getJson(options: GetJsonOptions): Promise<unknown> {
  const { service, what, secrets = [] } = options;
  const fail = (reason: string, status?: number) => new UpstreamError(service, redact(`${service} ${what} request ${reason}`, secrets), status);

  // The request's own timeout or the caller's signal, whichever comes first (covering the body read too).
  const deadline = new RequestDeadline(options.timeoutMs, options.signal);
  const interrupted = () => {
    if (options.signal?.aborted) return fail('was cancelled (the tool call was aborted or timed out)');
    if (deadline.signal.aborted) return fail(`timed out after ${options.timeoutMs} ms`);
    return undefined;
  };

  let response: Response;
  let text: string;
  try {
    response = await options.fetchImpl(options.url, { signal: deadline.signal, headers: { accept: 'application/json' } });
    text = await response.text();
  } catch (error) {
    throw interrupted() ?? fail(`failed: ${causeText(error)}`);
  } finally {
    deadline.done();
  }
  if (!response.ok) {
    const quoted = quoteBody(text);
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw fail(`failed with HTTP ${status}${quoted ? `: ${quoted}` : ''}`, response.status);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail('returned a response that is not JSON', response.status);
  }
}

/** `base` may carry a path prefix (a proxy): "http://h/av" + "query" → "http://h/av/query". */
export function endpoint(base: string, path: string, params: Record<string, string | number | undefined>): URL {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

/** A finite number from a number or a numeric string ("123.45", "1.2%"); undefined otherwise. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().replace(/%$/, '');
  if (!text) return undefined;
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : undefined;
}
