import * as v from 'valibot';
import { defineHandler } from '../handlers/define.ts';
import { builtInEntry } from './built-in-entry.ts';
import type { ToolCatalog } from './catalog.ts';
import { MANAGEMENT_SERVER_ID } from './composed-names.ts';
import { sameEntries } from './scoped-catalog.ts';
import type { AvailableTool, CatalogView, ToolEntry } from './snapshot.ts';
import type { ToolSearchIndex } from './tool-search.ts';

/**
 * Tool search for a large composed view (TOOLPORT_SEARCH_THRESHOLD): past
 * the threshold, a caller's tools/list shows the management tools and two
 * more — `search_tools(query, limit)`, ranked over the names, titles and
 * descriptions of the tools this caller can see, and `call_tool(name,
 * arguments)`, which calls one of them through the same call path (scopes,
 * rate limits, audit) as a direct call. A tool the list no longer shows can
 * still be called directly by its name.
 */

export const SEARCH_LIMIT_MAX = 50;

const SearchInput = v.object({
  query: v.pipe(
    v.string(),
    v.regex(/\S/, 'must not be empty'),
    v.maxLength(500, 'must be at most 500 characters'),
    v.description('What the tool should do, in words ("stock price").'),
  ),
  limit: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(SEARCH_LIMIT_MAX),
      v.description(`How many tools to return (1–${SEARCH_LIMIT_MAX}, default 10).`),
    ),
    10,
  ),
});

export const CallToolInput = v.object({
  name: v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(128, 'must be at most 128 characters')),
  arguments: v.optional(v.record(v.string(), v.unknown()), {}),
});

/** The two search entries of every visibility class (call_tool is answered by the composed caller, composed-caller.ts). */
const searchEntries = new WeakSet<ToolEntry>();

export function isSearchEntry(entry: ToolEntry | undefined): entry is AvailableTool {
  return entry !== undefined && searchEntries.has(entry);
}

export interface SearchPresentationDeps {
  /** The whole composed catalog: the index follows its view. */
  base: ToolCatalog;
  index: ToolSearchIndex;
  /** Show the search tools once a caller sees more than this many tools (0: never). */
  threshold: number;
}

function searchToolsEntry(deps: SearchPresentationDeps, scoped: ToolCatalog): AvailableTool {
  const handler = defineHandler({
    name: 'search_tools',
    title: 'Search tools',
    description:
      'Find tools by what they do: ranked full-text search over the names, titles and descriptions of the tools you can use. ' +
      'Then call one with call_tool, passing its name and arguments matching its inputSchema.',
    input: SearchInput,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    run({ query, limit }) {
      const view = deps.base.view();
      if (view) deps.index.sync(view);
      const visible = (name: string) => scoped.resolve(name)?.available === true;
      const hits = deps.index.search(query, limit, visible);
      return {
        query,
        tools: hits.map((hit) => {
          const entry = scoped.resolve(hit.name)!;
          return {
            name: hit.name,
            ...(entry.row.title ? { title: entry.row.title } : {}),
            description: entry.row.description,
            inputSchema: entry.row.inputSchema as Record<string, unknown>,
            score: Math.round(hit.score * 1000) / 1000,
          };
        }),
        totalTools: scoped.view()?.available.length ?? 0,
      };
    },
  });
  return builtInEntry(MANAGEMENT_SERVER_ID, {
    handler,
    title: 'Search tools',
    description: handler.description,
    inputSchema: handler.inputSchema,
    annotations: handler.annotations,
  });
}

function callToolEntry(): AvailableTool {
  const handler = defineHandler({
    name: 'call_tool',
    title: 'Call a tool',
    description: 'Call a tool found with search_tools: its exact name and its arguments (an object matching the inputSchema search_tools returned).',
    input: CallToolInput,
    annotations: { openWorldHint: true },
    // Never reached: the composed caller answers call_tool itself, with the caller's credential (composed-caller.ts).
    run() {
      throw new Error('call_tool is answered by the composed caller');
    },
  });
  return builtInEntry(MANAGEMENT_SERVER_ID, {
    handler,
    title: 'Call a tool',
    description: handler.description,
    inputSchema: handler.inputSchema,
    annotations: handler.annotations,
  });
}

/**
 * The catalog a visibility class's /mcp endpoint serves: its scoped view as
 * it is while it is small, the search view past the threshold. Views are
 * made once per scoped view (cache keys, like every view).
 */
export function searchPresentation(deps: SearchPresentationDeps): (scoped: ToolCatalog) => ToolCatalog {
  if (deps.threshold <= 0) return (scoped) => scoped;
  return (scoped) => {
    const own = [searchToolsEntry(deps, scoped), callToolEntry()];
    for (const entry of own) searchEntries.add(entry);
    const presented = new WeakMap<CatalogView, CatalogView>();
    const view = (): CatalogView | undefined => {
      const current = scoped.view();
      if (!current || current.available.length <= deps.threshold) return current;
      let shown = presented.get(current);
      if (!shown) {
        const management = current.ordered.filter((entry) => entry.row.serverId === MANAGEMENT_SERVER_ID);
        const ordered = [...management, ...own].sort((a, b) => (a.name < b.name ? -1 : 1));
        shown = Object.freeze({
          revision: current.revision,
          tools: new Map(ordered.map((entry) => [entry.name, entry])),
          ordered,
          available: ordered.filter((entry): entry is AvailableTool => entry.available),
          info: current.info,
        });
        presented.set(current, shown);
      }
      return shown;
    };
    return {
      label: scoped.label,
      writableServerId: undefined,
      view,
      // The list shows the search tools; a tool it hides is still called by its name.
      resolve: (name) => view()?.tools.get(name) ?? scoped.resolve(name),
      visibility: (scopes) => scoped.visibility(scopes),
      subscribe(onChange) {
        let last = view();
        return scoped.subscribe(() => {
          const next = view();
          if (sameEntries(last, next)) return;
          last = next;
          onChange();
        });
      },
    };
  };
}
