import { Hono, type Context } from 'hono';
import { AppError } from '../../errors.ts';
import { callTool, encodeCallResult } from '../../registry/call.ts';
import {
  draftFromBody,
  parseCreateBody,
  parsePatchBody,
  parseReplaceBody,
  patchDraft,
} from '../../registry/definition.ts';
import { draftOfRow } from '../../registry/store.ts';
import type { ToolEntry } from '../../registry/registry.ts';
import { readJson } from '../body.ts';
import type { ListenerEnv } from '../env.ts';
import { adminAuth } from '../middleware/admin-auth.ts';
import { databaseWritable } from '../middleware/database-writable.ts';
import { etagOf, toolListJson, toolView } from './tool-view.ts';
import * as v from 'valibot';
import { parseOrThrow } from '../../validation.ts';

const CallBody = v.strictObject({
  name: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')),
  arguments: v.optional(
    v.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must be a JSON object'),
  ),
});

/** `If-Match: "3"` (or 3, or W/"3") → 3; absent → undefined. */
function expectedVersion(c: Context): number | undefined {
  const header = c.req.header('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) throw new AppError('bad_request', `If-Match must be a tool version ETag such as "3", got ${header}`);
  return Number(match[1]);
}

function entryOrThrow(c: Context<ListenerEnv>, name: string): ToolEntry {
  const serverId = c.get('serverId');
  const entry = c.get('deps').registry.snapshot(serverId)?.tools.get(name);
  if (!entry) throw new AppError('not_found', `No tool named "${name}" on server "${serverId}"`);
  return entry;
}

/** Reads come from the in-memory snapshot; writes go to the database, then into the snapshot. */
export function toolsRoutes(adminToken: string | undefined) {
  const app = new Hono<ListenerEnv>();
  const auth = adminAuth(adminToken);
  const writable = databaseWritable();

  app.get('/', (c) => {
    const snapshot = c.get('deps').registry.snapshot(c.get('serverId'));
    if (!snapshot) return c.json({ server: c.get('serverId'), count: 0, tools: [] });
    return c.body(toolListJson(snapshot) as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/json' });
  });

  app.post('/call', async (c) => {
    const body = parseOrThrow(CallBody, await readJson(c), 'call request');
    // No client-disconnect signal here: reading c.req.raw builds a full Request per call; the call timeout bounds the work.
    const result = await callTool(c.get('deps'), c.get('serverId'), body.name, body.arguments ?? {});
    return c.body(encodeCallResult(result), 200, { 'content-type': 'application/json' });
  });

  app.get('/:name', (c) => {
    const entry = entryOrThrow(c, c.req.param('name'));
    c.header('ETag', etagOf(entry.row.version));
    return c.json(toolView(entry));
  });

  app.post('/', auth, writable, async (c) => {
    const { store, registry, handlers } = c.get('deps');
    const serverId = c.get('serverId');
    const draft = draftFromBody(parseCreateBody(await readJson(c)), handlers);
    const row = await store.insertTool(serverId, draft);
    registry.applyTool(row);
    const entry = registry.snapshot(serverId)!.tools.get(row.name)!;
    c.header('Location', `/tools/${encodeURIComponent(row.name)}`);
    c.header('ETag', etagOf(row.version));
    return c.json(toolView(entry), 201);
  });

  app.put('/:name', auth, writable, async (c) => {
    const { store, registry, handlers } = c.get('deps');
    const serverId = c.get('serverId');
    const name = c.req.param('name');
    const version = expectedVersion(c);
    const draft = draftFromBody(parseReplaceBody(await readJson(c), name), handlers);
    const row = await store.updateTool(serverId, name, draft, version);
    registry.applyTool(row);
    c.header('ETag', etagOf(row.version));
    return c.json(toolView(registry.snapshot(serverId)!.tools.get(name)!));
  });

  app.patch('/:name', auth, writable, async (c) => {
    const { store, registry, handlers } = c.get('deps');
    const serverId = c.get('serverId');
    const name = c.req.param('name');
    const patch = parsePatchBody(await readJson(c));
    const ifMatch = expectedVersion(c);
    // Read-modify-write guarded by the version: a concurrent writer makes the
    // update miss, and without If-Match we re-read and apply the patch again,
    // so no acknowledged PATCH is ever overwritten by a stale read.
    for (let attempt = 0; ; attempt++) {
      const current = await store.getTool(serverId, name);
      if (!current) throw new AppError('not_found', `No tool named "${name}" on server "${serverId}"`);
      const version = ifMatch ?? current.version;
      const draft = patchDraft(draftOfRow(current), patch, handlers);
      try {
        const row = await store.updateTool(serverId, name, draft, version);
        registry.applyTool(row);
        c.header('ETag', etagOf(row.version));
        return c.json(toolView(registry.snapshot(serverId)!.tools.get(name)!));
      } catch (error) {
        const retry = ifMatch === undefined && error instanceof AppError && error.code === 'precondition_failed' && attempt < 20;
        if (!retry) throw error;
      }
    }
  });

  app.delete('/:name', auth, writable, async (c) => {
    const { store, registry } = c.get('deps');
    const serverId = c.get('serverId');
    const row = await store.deleteTool(serverId, c.req.param('name'), expectedVersion(c));
    registry.removeTool(row);
    return c.json({ deleted: true, server: serverId, name: row.name, version: row.version });
  });

  return app;
}
