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
 *
 * `q` narrows the list to tools whose name, title or description contains
 * it (case-insensitive), and `available=true|false` to tools that can (or
 * cannot) be called now; `count` is then the number that match. Such pages
 * are built per request (the admin UI's search over 10,000 tools).
 */
export const MAX_PAGE_SIZE = 1000;

export interface ListQuery {
  limit: number | 'all';
  cursor: string | undefined;
  /** Lower-cased search text; undefined: every tool. */
  q?: string | undefined;
  available?: boolean | undefined;
}

const MAX_Q = 200;

export interface ListFilters {
  q?: string | undefined;
  available?: string | undefined;
}

function parseFilters({ q, available }: ListFilters): Pick<ListQuery, 'q' | 'available'> {
  if (q !== undefined && q.length > MAX_Q) {
    throw new AppError('bad_request', `Invalid q: at most ${MAX_Q} characters`, {
      details: [{ path: '/query/q', message: `longer than ${MAX_Q} characters` }],
    });
  }
  if (available !== undefined && available !== 'true' && available !== 'false') {
    throw new AppError('bad_request', 'Invalid available: must be true or false', {
      details: [{ path: '/query/available', message: 'must be true or false' }],
    });
  }
  const text = q?.trim().toLowerCase();
  return { q: text ? text : undefined, available: available === undefined ? undefined : available === 'true' };
}

export function parseListQuery(limit: string | undefined, cursor: string | undefined, defaultSize: number, filters: ListFilters = {}): ListQuery {
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
  return { limit: size, cursor: cursor === undefined || cursor === '' ? undefined : decodeCursor(cursor), ...parseFilters(filters) };
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

type Entry = CatalogView['ordered'][number];

function matching(view: CatalogView, query: ListQuery): readonly Entry[] {
  if (query.q === undefined && query.available === undefined) return view.ordered;
  const { q, available } = query;
  return view.ordered.filter(
    (entry) =>
      (available === undefined || entry.available === available) &&
      (q === undefined ||
        entry.name.toLowerCase().includes(q) ||
        (entry.row.title ?? '').toLowerCase().includes(q) ||
        entry.row.description.toLowerCase().includes(q)),
  );
}

function encode(view: CatalogView, query: ListQuery): Buffer {
  const ordered = matching(view, query);
  const start = query.cursor === undefined ? 0 : indexAfterName(ordered.length, (index) => ordered[index]!.name, query.cursor);
  const end = query.limit === 'all' ? ordered.length : Math.min(start + query.limit, ordered.length);
  const page = ordered.slice(start, end);
  const body: Record<string, unknown> = { server: view.info.id, count: ordered.length, tools: page.map(toolView) };
  if (end < ordered.length) body.nextCursor = encodeNameCursor(page[page.length - 1]!.name);
  return Buffer.from(JSON.stringify(body));
}

/** The encoded page; the first page of each size and the `all` form are kept per view. */
export function toolListPage(view: CatalogView, query: ListQuery): Buffer {
  if (query.cursor !== undefined || query.q !== undefined || query.available !== undefined) return encode(view, query);
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
