import type { CatalogView } from '../../registry/snapshot.ts';
import { AppError } from '../../shared/errors.ts';
import { decodeNameCursor, encodeNameCursor, indexAfterName } from '../../shared/name-cursor.ts';
import { toolView } from './tool-view.ts';

/**
 * GET /tools, paginated: `limit` (1–1000, default TOOLPORT_TOOLS_PAGE_SIZE)
 * or `limit=all` for the whole registry in one answer (small registries), and
 * `cursor` (the `nextCursor` of the previous page). The cursor is the name of
 * the last tool sent (the list is sorted by name), so paging stays correct
 * while tools come and go. Pages are encoded lazily; the first page and the
 * `all` form are kept per view (views are replaced, never changed).
 */
export const MAX_PAGE_SIZE = 1000;

export interface ListQuery {
  limit: number | 'all';
  cursor: string | undefined;
}

export function parseListQuery(limit: string | undefined, cursor: string | undefined, defaultSize: number): ListQuery {
  let size: number | 'all' = defaultSize;
  if (limit !== undefined) {
    if (limit === 'all') size = 'all';
    else if (/^\d{1,7}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_PAGE_SIZE) size = Number(limit);
    else {
      throw new AppError('bad_request', `Invalid limit: must be an integer from 1 to ${MAX_PAGE_SIZE}, or "all"`, {
        details: [{ path: '/query/limit', message: `must be 1–${MAX_PAGE_SIZE} or "all"` }],
      });
    }
  }
  return { limit: size, cursor: cursor === undefined || cursor === '' ? undefined : decodeCursor(cursor) };
}

function decodeCursor(cursor: string): string {
  const name = decodeNameCursor(cursor);
  if (name === undefined) {
    throw new AppError('bad_request', 'Invalid cursor: pass the nextCursor of a previous GET /tools answer unchanged', {
      details: [{ path: '/query/cursor', message: 'not a cursor this server issued' }],
    });
  }
  return name;
}

const cached = new WeakMap<CatalogView, Map<string, Buffer>>();

function encode(view: CatalogView, query: ListQuery): Buffer {
  const start = query.cursor === undefined ? 0 : indexAfterName(view.ordered.length, (index) => view.ordered[index]!.name, query.cursor);
  const end = query.limit === 'all' ? view.ordered.length : Math.min(start + query.limit, view.ordered.length);
  const page = view.ordered.slice(start, end);
  const body: Record<string, unknown> = { server: view.info.id, count: view.ordered.length, tools: page.map(toolView) };
  if (end < view.ordered.length) body.nextCursor = encodeNameCursor(page[page.length - 1]!.name);
  return Buffer.from(JSON.stringify(body));
}

/** The encoded page; the first page of each size and the `all` form are kept per view. */
export function toolListPage(view: CatalogView, query: ListQuery): Buffer {
  if (query.cursor !== undefined) return encode(view, query);
  let byLimit = cached.get(view);
  if (!byLimit) cached.set(view, (byLimit = new Map()));
  const key = String(query.limit);
  let bytes = byLimit.get(key);
  if (!bytes) {
    bytes = encode(view, query);
    if (byLimit.size < 8) byLimit.set(key, bytes);
  }
  return bytes;
}
