import SwaggerParser from '@apidevtools/swagger-parser';
import { AppError } from '../../shared/errors.ts';

/**
 * Reading an OpenAPI document: validated against its specification and
 * dereferenced (every `$ref` resolved, recursive schemas become object
 * cycles) by @apidevtools/swagger-parser, for OpenAPI 3.0/3.1 and Swagger 2.0.
 */

export type Json = Record<string, unknown>;

export interface LoadedDocument {
  /** The dereferenced document. */
  api: Json;
  /** '2.0', '3.0' or '3.1'. */
  version: '2.0' | '3.0' | '3.1';
  title: string;
  /** Where it was read from (a URL or file path), when it was read, for relative server URLs. */
  location: string | undefined;
}

export type DocumentSource =
  /** An inline document (REST): external `$ref`s are not followed (no file or network access). */
  | { document: Json }
  /**
   * A file path or http(s) URL (CLI): YAML or JSON; external `$ref`s relative
   * to it are followed. Loopback, private and link-local URLs are refused (the
   * parser's safe-URL check) unless `internalUrls` allows them.
   */
  | { location: string; internalUrls?: boolean };

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string, path = '/document'): AppError {
  return new AppError('bad_request', `Invalid OpenAPI document: ${message}`, { details: [{ path, message }] });
}

/**
 * swagger-parser makes a relative server URL absolute when it reads a
 * document from a URL, but drops the port (`protocol//hostname` + path): put
 * the document URL's port back into the server URLs it rewrote.
 */
function restorePorts(api: Json, location: string): void {
  if (!/^https?:\/\//i.test(location)) return;
  const from = new URL(location);
  if (!from.port) return;
  const rewritten = `${from.protocol}//${from.hostname}/`;
  const fix = (servers: unknown) => {
    if (!Array.isArray(servers)) return;
    for (const server of servers) {
      if (isObject(server) && typeof server.url === 'string' && server.url.startsWith(rewritten)) {
        server.url = `${from.protocol}//${from.host}/${server.url.slice(rewritten.length)}`;
      }
    }
  };
  fix(api.servers);
  for (const pathItem of Object.values(isObject(api.paths) ? api.paths : {})) {
    if (!isObject(pathItem)) continue;
    fix(pathItem.servers);
    for (const operation of Object.values(pathItem)) if (isObject(operation)) fix(operation.servers);
  }
}

export async function loadDocument(source: DocumentSource): Promise<LoadedDocument> {
  let input: string | Json;
  let options: SwaggerParser.Options;
  if ('document' in source) {
    if (!isObject(source.document)) throw invalid('must be a JSON object');
    const declared = source.document.openapi ?? source.document.swagger;
    if (typeof declared !== 'string') throw invalid('has no "openapi" (3.x) or "swagger" (2.0) version field', '/document/openapi');
    input = structuredClone(source.document); // swagger-parser dereferences in place
    options = { resolve: { external: false, file: false, http: false } };
  } else {
    input = source.location;
    options = { resolve: { http: { timeout: 30_000, safeUrlResolver: source.internalUrls !== true } } };
  }
  let api: Json;
  try {
    api = (await SwaggerParser.validate(input as never, options)) as unknown as Json;
  } catch (error) {
    let message = ((error as Error)?.message ?? String(error)).split('\n').slice(0, 12).join('\n').slice(0, 2_000);
    if ('location' in source && /^https?:/i.test(source.location) && message.includes(`"${source.location}"`) && source.internalUrls !== true) {
      message += ' (a loopback, private or link-local address is read only when TOOLPORT_HTTP_ALLOW lists its host)';
    }
    throw invalid(message);
  }
  if ('location' in source) restorePorts(api, source.location);
  const declared = String(api.openapi ?? api.swagger ?? '');
  const version = declared.startsWith('3.1') ? '3.1' : declared.startsWith('3.') ? '3.0' : declared === '2.0' ? '2.0' : undefined;
  if (!version) throw invalid(`version "${declared}" is not supported (OpenAPI 3.0, 3.1 or Swagger 2.0)`, '/document/openapi');
  const info = isObject(api.info) ? api.info : {};
  const title = typeof info.title === 'string' ? info.title.trim() : '';
  if (!title) throw invalid('info.title is empty: it names the document, so a re-import finds the tools it made', '/document/info/title');
  return { api, version, title, location: 'location' in source ? source.location : undefined };
}
