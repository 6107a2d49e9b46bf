import { STATUS_CODES } from 'node:http';
import jmespath from 'jmespath';
import type { OutboundResponse } from '../../../providers/outbound/index.ts';
import { AppError } from '../../../shared/errors.ts';
import type { SecretScope } from '../../../shared/secrets.ts';
import type { HandlerResult } from '../../define.ts';
import { toolResult } from '../../result.ts';
import type { HttpConfig } from './config.ts';

/**
 * The upstream's answer → the tool's result. 2xx: JSON (application/json,
 * *+json) becomes a JSON object result (an array or scalar is wrapped as
 * { "result": … }), after `select` if set; text/* (and XML) one text block;
 * image/* an image block; anything else an embedded resource blob. 4xx: an
 * isError result carrying the status and the body (4 KB at most) so a model
 * can correct its call. 5xx and anything else: handler_failed. Every text
 * that goes back has the call's resolved secrets redacted.
 */

/** Most of an upstream 4xx body a model is shown. */
export const ERROR_BODY_CHARS = 4096;
/** Most of an upstream 5xx body put in an error message. */
const FAILURE_BODY_CHARS = 512;

export interface ResponseContext {
  config: HttpConfig;
  secrets: SecretScope;
  toolName: string;
  /** Requests made for this call (retries included). */
  attempts: number;
}

/** The media type of a content-type header, lower-cased, without parameters. */
function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

const UTF8 = /^utf-?8$/i;

function decodeText(body: Uint8Array, contentType: string | null): string {
  const charset = contentType ? /charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1] : undefined;
  if (charset === undefined || UTF8.test(charset)) {
    // UTF-8, by far the usual case: Buffer's decoder (as TextDecoder does: a leading BOM dropped, bad bytes → U+FFFD)
    // without building a TextDecoder per call.
    const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
    return Buffer.from(body.buffer, body.byteOffset + bom, body.byteLength - bom).toString('utf8');
  }
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');
const isText = (type: string) => type.startsWith('text/') || type === 'application/xml' || type.endsWith('+xml');

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}… (${text.length - chars} more characters cut)` : text;
}

/** "GET https://api.example.com/v1/orders/42" without the query (it may carry keys; redacted anyway). */
export function describeTarget(method: string, url: string | URL, secrets: SecretScope): string {
  try {
    const parsed = url instanceof URL ? url : new URL(url);
    return secrets.redact(`${method} ${parsed.origin}${parsed.pathname}`);
  } catch {
    return secrets.redact(`${method} ${url}`);
  }
}

/** `404 Not Found`: Node's own table of reason phrases. */
function statusText(status: number): string {
  const phrase = STATUS_CODES[status];
  return phrase ? `${status} ${phrase}` : String(status);
}

/** The body as text for a message: decoded and redacted when textual, else a note of its size and type. */
function bodyForMessage(response: OutboundResponse, secrets: SecretScope, chars: number): string {
  const contentType = response.header('content-type');
  const type = mediaType(contentType);
  if (response.body.byteLength === 0) return '(empty body)';
  if (type === '' || isJson(type) || isText(type) || type === 'application/problem+json') {
    return cut(secrets.redact(decodeText(response.body, contentType)), chars);
  }
  return `(${response.body.byteLength} bytes of ${type})`;
}

function jsonResult(response: OutboundResponse, context: ResponseContext, contentType: string | null): HandlerResult {
  let value: unknown;
  try {
    value = JSON.parse(decodeText(response.body, contentType));
  } catch (error) {
    const target = describeTarget(context.config.method, response.url, context.secrets);
    throw new AppError('handler_failed', `Tool "${context.toolName}": ${target} answered ${response.status} with invalid JSON: ${(error as Error).message}`);
  }
  value = context.secrets.redactJson(value);
  if (context.config.select !== undefined) {
    try {
      value = jmespath.search(value, context.config.select);
    } catch (error) {
      throw new AppError(
        'handler_failed',
        `Tool "${context.toolName}": select ${JSON.stringify(context.config.select)} failed on the response: ${(error as Error).message}`,
      );
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  return { result: value ?? null };
}

function successResult(response: OutboundResponse, context: ResponseContext): HandlerResult {
  const contentType = response.header('content-type');
  const type = mediaType(contentType);
  if (context.config.method === 'HEAD' || response.body.byteLength === 0) {
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie') headers[name] = context.secrets.redact(value);
    });
    return { status: response.status, headers };
  }
  if (isJson(type)) return jsonResult(response, context, contentType);
  if (isText(type)) return toolResult({ content: [{ type: 'text', text: context.secrets.redact(decodeText(response.body, contentType)) }] });
  const data = Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString('base64');
  if (type.startsWith('image/')) return toolResult({ content: [{ type: 'image', data, mimeType: type }] });
  return toolResult({
    content: [{ type: 'resource', resource: { uri: context.secrets.redact(response.url), mimeType: type || 'application/octet-stream', blob: data } }],
  });
}

/** The result of the final answer (after retries); throws AppError for what is not a result. */
export function mapResponse(response: OutboundResponse, context: ResponseContext): HandlerResult {
  const status = response.status;
  if (status >= 200 && status < 300) return successResult(response, context);
  const target = describeTarget(context.config.method, response.url, context.secrets);
  const tries = context.attempts > 1 ? ` (after ${context.attempts} attempts)` : '';
  if (status >= 400 && status < 500) {
    const retryAfter = response.header('retry-after');
    const hint = status === 429 && retryAfter ? ` (Retry-After: ${retryAfter})` : '';
    const text = `Upstream ${target} answered ${statusText(status)}${hint}${tries}: ${bodyForMessage(response, context.secrets, ERROR_BODY_CHARS)}`;
    return toolResult({ content: [{ type: 'text', text }], isError: true });
  }
  const body = bodyForMessage(response, context.secrets, FAILURE_BODY_CHARS);
  throw new AppError('handler_failed', `Tool "${context.toolName}": upstream ${target} answered ${statusText(status)}${tries}: ${body}`, {
    extra: { upstreamStatus: status },
  });
}
