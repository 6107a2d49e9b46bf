import MiniSearch, { type Query } from 'minisearch';
import type { AvailableTool, CatalogView } from './snapshot.ts';
import { nameWords, termOf, textWords } from './tool-search-terms.ts';

/**
 * The in-memory full-text index behind `search_tools`. Terms are made the
 * way PostgreSQL's `english` configuration makes them (lower-case, its stop
 * words dropped, Snowball English stems: tool-search-terms.ts), so a query
 * matches the tools `to_tsvector('english', …) @@ plainto_tsquery('english', …)`
 * would; ranking is BM25 (minisearch) over three fields, the name weighted
 * most. No database round trip per search: `sync` keeps the index in step
 * with the catalog view, updating only the entries that changed.
 */

export interface SearchHit {
  name: string;
  score: number;
  title?: string;
  description: string;
}

export const SEARCH_HIT_LIMIT = 50;

/** Field weights: a word of the name counts most, then the title, then the description. */
const BOOST = { name: 3, title: 2, description: 1 };
/** Ranked lists kept per normalized query until the index changes. */
const CACHED_QUERIES = 256;

interface Scored {
  name: string;
  score: number;
}

interface Ranked {
  /** Tools matching every term (the last one as a prefix), best first. */
  all: Scored[];
  /** Tools matching any term, best first; computed when `all` does not fill a page. */
  any?: Scored[];
  /** Number of terms after stop words are dropped (one term: `any` equals `all`). */
  terms: number;
}

const byScoreThenName = (a: Scored, b: Scored) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function textOf(entry: AvailableTool, field: string): string {
  if (field === 'name') return entry.name;
  if (field === 'title') return entry.row.title ?? '';
  return entry.row.description;
}

export class ToolSearchIndex {
  #mini = ToolSearchIndex.#create();
  /** What is indexed now, by name: the entry last synced (same text as the indexed one). */
  #entries = new Map<string, AvailableTool>();
  #view: CatalogView | undefined;
  #available: readonly AvailableTool[] | undefined;
  #cache = new Map<string, Ranked>();

  static #create(): MiniSearch<AvailableTool> {
    return new MiniSearch<AvailableTool>({
      idField: 'name',
      fields: ['name', 'title', 'description'],
      extractField: textOf,
      tokenize: (text, field) => (field === 'name' ? nameWords(text) : textWords(text)),
      processTerm: termOf,
      autoVacuum: false,
      // Queries are built as trees of terms already processed (see #query).
      searchOptions: { tokenize: (text) => [text], processTerm: (term) => term, boost: BOOST },
    });
  }

  /** Number of tools indexed (the available tools of the last synced view). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Bring the index in step with `view`: entries added, replaced (a changed
   * row makes a new entry) or removed since the last synced view. An entry
   * replaced with the same name, title and description is not reindexed.
   */
  sync(view: CatalogView): void {
    if (view === this.#view) return;
    this.#view = view;
    if (view.available === this.#available) return;
    this.#available = view.available;
    let changed = false;
    for (const entry of view.available) {
      const known = this.#entries.get(entry.name);
      if (known === entry) continue;
      if (known && known.row.title === entry.row.title && known.row.description === entry.row.description) {
        this.#entries.set(entry.name, entry);
        continue;
      }
      if (known) this.#mini.remove(known);
      this.#mini.add(entry);
      this.#entries.set(entry.name, entry);
      changed = true;
    }
    // Every available name is indexed now; more indexed names than that means some left.
    if (this.#entries.size > view.available.length) {
      const present = new Set(view.available.map((entry) => entry.name));
      for (const [name, entry] of this.#entries) {
        if (present.has(name)) continue;
        this.#mini.remove(entry);
        this.#entries.delete(name);
      }
      changed = true;
    }
    if (changed) this.#cache.clear();
  }

  /**
   * The best `limit` (1–50) tools for `query`: those matching every term
   * first (the last term also as a prefix, for a query being typed), then,
   * to fill the page, those matching any term. Equal scores are ordered by
   * name. `visible` leaves out tools the caller may not see. An empty query,
   * or one of stop words only, finds nothing.
   */
  search(query: string, limit: number, visible?: (name: string) => boolean): SearchHit[] {
    const wanted = Math.min(SEARCH_HIT_LIMIT, Math.max(1, Math.trunc(limit) || 1));
    const words = textWords(query);
    if (!words.length) return [];
    const key = words.join(' ').toLowerCase();
    const ranked = this.#ranked(key, words);
    const hits: SearchHit[] = [];
    const take = (scored: Scored) => {
      if (visible && !visible(scored.name)) return;
      const entry = this.#entries.get(scored.name)!;
      hits.push({
        name: scored.name,
        score: scored.score,
        ...(entry.row.title ? { title: entry.row.title } : {}),
        description: entry.row.description,
      });
    };
    for (const scored of ranked.all) {
      if (hits.length >= wanted) return hits;
      take(scored);
    }
    if (hits.length >= wanted || ranked.terms < 2) return hits;
    ranked.any ??= this.#run(words, 'OR');
    const inAll = new Set(ranked.all.map((scored) => scored.name));
    for (const scored of ranked.any) {
      if (hits.length >= wanted) break;
      if (!inAll.has(scored.name)) take(scored);
    }
    return hits;
  }

  /**
   * Every tool matching all the terms of `query`, best first, unpaged: the
   * set `plainto_tsquery('english', query)` selects (with `prefix`, the
   * last term as `term:*`, as search does).
   */
  matchAll(query: string, options: { prefix?: boolean } = {}): string[] {
    return this.#run(textWords(query), 'AND', options.prefix ?? true).map((scored) => scored.name);
  }

  #ranked(key: string, words: string[]): Ranked {
    const cached = this.#cache.get(key);
    if (cached) {
      // Most recently used last: the first key is the one to evict.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const terms = words.map(termOf).filter((term) => term !== null).length;
    const ranked: Ranked = { all: this.#run(words, 'AND'), terms };
    if (this.#cache.size >= CACHED_QUERIES) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, ranked);
    return ranked;
  }

  #run(words: string[], combineWith: 'AND' | 'OR', prefix = true): Scored[] {
    const query = ToolSearchIndex.#query(words, combineWith, prefix);
    if (!query) return [];
    return this.#mini
      .search(query)
      .map((result) => ({ name: result.id as string, score: result.score }))
      .sort(byScoreThenName);
  }

  /**
   * The query tree: every term as Postgres would make it; the last word
   * also as a prefix, both stemmed and as typed ("portf", "runnin" of a
   * word whose stem is shorter than what was typed).
   */
  static #query(words: string[], combineWith: 'AND' | 'OR', prefix: boolean): Query | undefined {
    const queries: Query[] = [];
    words.forEach((word, i) => {
      const term = termOf(word);
      if (term === null) return;
      if (!prefix || i < words.length - 1) {
        queries.push({ queries: [term], prefix: false });
        return;
      }
      const lower = word.toLowerCase();
      const forms = lower === term ? [term] : [term, lower];
      queries.push({ queries: forms, combineWith: 'OR', prefix: true });
    });
    return queries.length ? { queries, combineWith } : undefined;
  }
}
