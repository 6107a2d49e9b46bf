import { type Context, Hono, type MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { ToolRevision } from '../../db/revision-store.ts';
import type { ToolCatalog } from '../../registry/catalog.ts';
import { requireObject } from '../../registry/definition.ts';
import type { ToolHistory } from '../../registry/tool-history.ts';
import type { ToolWrites } from '../../registry/tool-writes.ts';
import { AppError } from '../../shared/errors.ts';
import { decodeNameCursor, encodeNameCursor } from '../../shared/name-cursor.ts';
import { parseOrThrow } from '../../shared/validation.ts';
import { type BodyLimits, readJson } from '../body.ts';
import type { RestEnv } from '../env.ts';
import { writerOf } from '../writer.ts';
import { etagOf, toolView } from './tool-view.ts';

/**
 * A tool's history: GET /tools/:name/revisions (newest first, paginated),
 * …/revisions/:version, …/diff?from=&to= (JSON Patch + unified diff), and
 * POST …/rollback {version} (write scope, If-Match). Reads need the caller
 * to see the tool by name — a deleted tool's history too; a tool outside the
 * caller's scopes answers exactly like one that never existed.
 */
export interface ToolHistoryRoutesDeps {
  catalog: ToolCatalog;
  history: ToolHistory;
  writes: ToolWrites;
  /** The server's `write` scope (rollback). */
  auth: MiddlewareHandler<RestEnv>;
  /** Refuses a caller that sees none of the server's tools. */
  reads: MiddlewareHandler<RestEnv>;
  limits: BodyLimits;
  /** The tool name of the path (404 for one that breaks the name rule). */
  toolName: (c: Context<RestEnv>) => string;
  /** The server whose tools these are (403 on a view that writes none, the gateway's composed one). */
  serverIdOf: () => string;
  /** If-Match → the version, or undefined. */
  expectedVersion: (c: Context<RestEnv>) => number | undefined;
}

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;

export const RollbackBody = v.strictObject({
  version: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be at least 1')),
});

/** A version number from the query (`/query/from`) or the path (`/path/version`). */
function versionIn(text: string | undefined, path: string): number {
  if (text === undefined || !/^\d{1,9}$/.test(text) || Number(text) < 1) {
    const field = path.split('/').pop();
    throw new AppError('bad_request', `Invalid ${field}: must be a version number (an integer ≥ 1)${text === undefined ? ', and is required' : ''}`, {
      details: [{ path, message: text === undefined ? 'is required' : 'must be an integer ≥ 1' }],
    });
  }
  return Number(text);
}

function pageLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PAGE;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_PAGE) {
    throw new AppError('bad_request', `Invalid limit: must be an integer from 1 to ${MAX_PAGE}`, {
      details: [{ path: '/query/limit', message: `must be 1–${MAX_PAGE}` }],
    });
  }
  return Number(text);
}

function cursorVersion(cursor: string | undefined): number | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const text = decodeNameCursor(cursor);
  if (text === undefined || !/^\d{1,9}$/.test(text)) {
    throw new AppError('bad_request', 'Invalid cursor: pass the nextCursor of a previous revisions answer unchanged', {
      details: [{ path: '/query/cursor', message: 'not a cursor this server issued' }],
    });
  }
  return Number(text);
}

function revisionSummary(revision: ToolRevision) {
  return {
    version: revision.version,
    operation: revision.operation,
    actor: revision.actor,
    changedAt: revision.changedAt.toISOString(),
    toolId: revision.toolId,
  };
}

export function revisionView(revision: ToolRevision) {
  return { server: revision.serverId, name: revision.name, ...revisionSummary(revision), definition: revision.definition };
}

export function toolHistoryRoutes(deps: ToolHistoryRoutesDeps) {
  const { catalog, history, writes } = deps;
  const app = new Hono<RestEnv>();

  /** The path's tool, if the caller may see a tool of that name (live or deleted); otherwise the 404 of an unknown tool. */
  function visibleName(c: Context<RestEnv>): { serverId: string; name: string } {
    const name = deps.toolName(c);
    const serverId = deps.serverIdOf();
    const principal = c.get('principal');
    if (!principal || !catalog.visibility(principal.scopes).sees(name)) throw new AppError('not_found', `No tool named "${name}" on ${catalog.label}`);
    return { serverId, name };
  }

  app.get('/:name/revisions', deps.reads, async (c) => {
    const { serverId, name } = visibleName(c);
    const page = await history.list(serverId, name, { limit: pageLimit(c.req.query('limit')), before: cursorVersion(c.req.query('cursor')) });
    return c.json({
      server: serverId,
      name,
      total: page.total,
      revisions: page.revisions.map((revision) => ({ ...revisionSummary(revision), changed: revision.changed })),
      ...(page.nextBefore === undefined ? {} : { nextCursor: encodeNameCursor(String(page.nextBefore)) }),
    });
  });

  app.get('/:name/revisions/:version', deps.reads, async (c) => {
    const { serverId, name } = visibleName(c);
    const version = versionIn(c.req.param('version'), '/path/version');
    return c.json(revisionView(await history.get(serverId, name, version)));
  });

  app.get('/:name/diff', deps.reads, async (c) => {
    const { serverId, name } = visibleName(c);
    const from = versionIn(c.req.query('from'), '/query/from');
    const to = versionIn(c.req.query('to'), '/query/to');
    const diff = await history.diff(serverId, name, from, to);
    return c.json({
      server: serverId,
      name,
      from: revisionSummary(diff.from),
      to: revisionSummary(diff.to),
      changed: diff.changed,
      patch: diff.patch,
      diff: diff.unified,
    });
  });

  app.post('/:name/rollback', deps.auth, async (c) => {
    const name = deps.toolName(c);
    const ifMatch = deps.expectedVersion(c);
    const body = parseOrThrow(RollbackBody, requireObject(await readJson(c, deps.limits), 'rollback request'), 'rollback request');
    const done = await writes.rollback({ ...writerOf(c), serverId: deps.serverIdOf(), name, version: body.version, ifMatch });
    c.header('ETag', etagOf(done.row.version));
    if (!done.entry) throw new AppError('internal', `Tool "${done.row.name}" was written but ${catalog.label} is not loaded here`);
    return c.json({ rolledBackTo: body.version, restored: done.restored, changed: done.changed, tool: toolView(done.entry) }, done.restored ? 201 : 200);
  });

  return app;
}
