import { type Context, Hono, type MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { ToolCaller } from '../../registry/call.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import { parseCreateBody, parsePatchBody, parseReplaceBody, requireObject, TOOL_NAME } from '../../registry/definition.ts';
import type { ToolHistory } from '../../registry/tool-history.ts';
import type { ToolWrites, WrittenTool } from '../../registry/tool-writes.ts';
import { AppError, isAppError } from '../../shared/errors.ts';
import { JsonObject, parseOrThrow } from '../../shared/validation.ts';
import { type BodyLimits, disconnectSignal, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import type { ScopeChallenge } from '../middleware/credential.ts';
import { writerOf } from '../writer.ts';
import { toolHistoryRoutes } from './tool-history.ts';
import { parseListQuery, toolListPage } from './tool-list.ts';
import { etagOf, toolView } from './tool-view.ts';
import { toolsImportRoutes } from './tools-import.ts';

export const CallBody = v.strictObject({
  name: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')),
  arguments: v.optional(JsonObject),
});

export interface ToolsRoutesDeps {
  /** The server's whole catalog, for writes (a writer's scope covers the whole server); reads use the caller's view, c.get('catalog'). */
  catalog: ToolCatalog;
  caller: ToolCaller;
  writes: ToolWrites;
  /** Revisions, diff and rollback (routes/tool-history.ts). */
  history: ToolHistory;
  /** Guards every write (the server's `write` scope). */
  auth: MiddlewareHandler<RestEnv>;
  /** Guards every read and call: refuses a caller that sees none of the server's tools. */
  reads: MiddlewareHandler<RestEnv>;
  /** WWW-Authenticate of a 403 naming a missing scope (a list-only caller calling). */
  challenge: ScopeChallenge;
  maxBodyBytes: number;
  /** Nesting depth a body may have (TOOLPORT_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
  /** Default page size of GET /tools (TOOLPORT_TOOLS_PAGE_SIZE). */
  pageSize: number;
}

/** A name from the URL as the message shows it: quoted and escaped (NUL, control characters), cut after 64 characters. */
function shownName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/** `If-Match: "3"` (or 3, or W/"3") → 3; absent → undefined. */
export function expectedVersion(c: Context): number | undefined {
  const header = c.req.header('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) throw new AppError('bad_request', `If-Match must be a version ETag such as "3", got ${header}`);
  return Number(match[1]);
}

/**
 * Reads come from the caller's view of the catalog (a tool outside its
 * scopes is absent from lists and answers exactly like an unknown name);
 * writes go through the write service. Routes: parse → call → view.
 */
export function toolsRoutes({ catalog, caller, writes, history, auth, reads, challenge, maxBodyBytes, maxJsonDepth, pageSize }: ToolsRoutesDeps) {
  const app = new Hono<RestEnv>();
  const limits: BodyLimits = { maxBytes: maxBodyBytes, maxDepth: maxJsonDepth };
  app.route('/import', toolsImportRoutes({ catalog, writes, auth, limits }));

  function serverIdOf(): string {
    if (!catalog.writableServerId) throw new AppError('forbidden', `The tools of ${catalog.label} cannot be written here`);
    return catalog.writableServerId;
  }

  /**
   * The tool name of the path. A name that breaks the tool-name rule cannot
   * exist, so it is a 404 that says why, answered before any query (a NUL in
   * it would otherwise reach the database as an error).
   */
  function toolName(c: Context<RestEnv>): string {
    const name = c.req.param('name') ?? '';
    if (!TOOL_NAME.test(name)) {
      throw new AppError(
        'not_found',
        `No tool named ${shownName(name)} on ${catalog.label}: tool names are 1–128 characters of A–Z, a–z, 0–9, "_", "-" or "."`,
      );
    }
    return name;
  }

  function written(c: Context<RestEnv>, { row, entry }: WrittenTool, status: 200 | 201 = 200) {
    c.header('ETag', etagOf(row.version));
    if (!entry) throw new AppError('internal', `Tool "${row.name}" was written but ${catalog.label} is not loaded here`);
    return c.json(toolView(entry), status);
  }

  app.get('/', reads, (c) => {
    const query = parseListQuery(c.req.query('limit'), c.req.query('cursor'), pageSize, { q: c.req.query('q'), available: c.req.query('available') });
    const view = c.get('catalog').view();
    if (!view) return c.json({ server: catalog.writableServerId, count: 0, tools: [] });
    return c.body(toolListPage(view, query) as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/json' });
  });

  app.post('/call', reads, async (c) => {
    const body = parseOrThrow(CallBody, requireObject(await readJson(c, limits), 'call request'), 'call request');
    const result = await caller
      .call(c.get('catalog'), body.name, body.arguments ?? {}, { signal: disconnectSignal(c), principal: c.get('principal'), requestId: c.get('requestId') })
      .catch((error: unknown) => {
        // The call guard's refusal of a visible tool names the scope; the header says it too (RFC 6750), with resource_metadata under OAuth.
        if (isAppError(error) && error.code === 'forbidden' && typeof error.extra?.scope === 'string')
          c.header('WWW-Authenticate', challenge(error.extra.scope));
        throw error;
      });
    return c.body(result.encode(), 200, { 'content-type': 'application/json' });
  });

  app.route('/', toolHistoryRoutes({ catalog, history, writes, auth, reads, limits, toolName, serverIdOf, expectedVersion }));

  app.get('/:name', reads, (c) => {
    const name = toolName(c);
    const entry = c.get('catalog').resolve(name);
    if (!entry) throw new AppError('not_found', `No tool named "${name}" on ${catalog.label}`);
    c.header('ETag', etagOf(entry.row.version));
    return c.json(toolView(entry));
  });

  app.post('/', auth, async (c) => {
    const body = parseCreateBody(await readJson(c, limits));
    const result = await writes.create({ ...writerOf(c), serverId: serverIdOf(), body });
    c.header('Location', `/tools/${encodeURIComponent(result.row.name)}`);
    return written(c, result, 201);
  });

  app.put('/:name', auth, async (c) => {
    const name = toolName(c);
    const ifMatch = expectedVersion(c);
    const body = parseReplaceBody(await readJson(c, limits), name);
    return written(c, await writes.replace({ ...writerOf(c), serverId: serverIdOf(), name, body, ifMatch }));
  });

  app.patch('/:name', auth, async (c) => {
    const name = toolName(c);
    const patch = parsePatchBody(await readJson(c, limits));
    const ifMatch = expectedVersion(c);
    return written(c, await writes.patch({ ...writerOf(c), serverId: serverIdOf(), name, patch, ifMatch }));
  });

  app.delete('/:name', auth, async (c) => {
    const serverId = serverIdOf();
    const row = await writes.delete({ ...writerOf(c), serverId, name: toolName(c), ifMatch: expectedVersion(c) });
    return c.json({ deleted: true, server: serverId, name: row.name, version: row.version });
  });

  return app;
}
