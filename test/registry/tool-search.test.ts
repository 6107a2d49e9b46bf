import { describe, expect, it } from 'vitest';
import { ToolSearchIndex } from '../../src/registry/tool-search.ts';
import { ENGLISH_STOP_WORDS, nameWords, termOf } from '../../src/registry/tool-search-terms.ts';
import { available, disabled, syntheticTools, viewOf } from './tool-search-fixtures.ts';

const names = (hits: { name: string }[]) => hits.map((hit) => hit.name);

function indexOf(...tools: Parameters<typeof viewOf>[0][]): ToolSearchIndex {
  const index = new ToolSearchIndex();
  index.sync(viewOf(tools.flatMap((list) => [...list])));
  return index;
}

describe('tool search ranking', () => {
  const tools = syntheticTools(5_000);
  const index = indexOf(tools);

  it('ranks finance_get_stock_price first for "stock price" among 5,000 tools', () => {
    expect(index.size).toBe(5_000);
    const hits = index.search('stock price', 10);
    expect(hits[0]).toMatchObject({ name: 'finance_get_stock_price', description: 'Get the latest stock price for a ticker' });
    // Its nearest rival (a longer name and description with the same words) comes next; full matches before partial ones.
    expect(hits[1]!.name).toBe('finance_get_stock_price_history');
    expect(hits).toHaveLength(10);
  });

  it('matches stems and drops the stop words PostgreSQL drops', () => {
    expect(ENGLISH_STOP_WORDS.size).toBe(127);
    expect(termOf('The')).toBeNull();
    expect(termOf('prices')).toBe('price');
    expect(index.matchAll('prices', { prefix: false })).toContain('finance_get_stock_price');
    expect(index.matchAll('price', { prefix: false })).toEqual(index.matchAll('prices', { prefix: false }));
    expect(names(index.search('stocks prices', 1))).toEqual(['finance_get_stock_price']);
    expect(names(index.search('the latest stock prices for a ticker', 3))[0]).toBe('finance_get_stock_price');
    expect(index.search('the', 10)).toEqual([]);
    expect(index.search('  ', 10)).toEqual([]);
    expect(index.search('', 10)).toEqual([]);
  });

  it('splits names on _ - . and camelCase', () => {
    expect(nameWords('finance_get_stock_price')).toEqual(['finance', 'get', 'stock', 'price']);
    expect(nameWords('getHTTPStatus.v2-check')).toEqual(['get', 'HTTP', 'Status', 'v2', 'check']);
    const small = indexOf([
      available('getWeatherForecast', 'Tomorrow, hour by hour'),
      available('HTTPStatusCheck', 'Probe a URL'),
      available('maps.reverse-geocode', 'Coordinates to an address'),
      available('plain', 'Nothing to see'),
    ]);
    expect(names(small.search('weather forecast', 5))).toEqual(['getWeatherForecast']);
    expect(names(small.search('status', 5))).toEqual(['HTTPStatusCheck']);
    expect(names(small.search('reverse geocode', 5))).toEqual(['maps.reverse-geocode']);
  });

  it('matches the last term as a prefix, so a query being typed finds tools', () => {
    const hits = index.search('portf', 10);
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(hit.name).toContain('portfolio');
    expect(index.matchAll('portf', { prefix: false })).toEqual([]);
    // Only the last term: an unfinished word earlier in the query matches nothing.
    expect(index.matchAll('portf list')).toEqual([]);
    expect(names(index.search('stock pri', 1))).toEqual(['finance_get_stock_price']);
  });

  it('clamps limit to 1..50', () => {
    expect(index.search('get', 0)).toHaveLength(1);
    expect(index.search('get', -5)).toHaveLength(1);
    expect(index.search('get', 3)).toHaveLength(3);
    expect(index.search('get', 1_000)).toHaveLength(50);
    expect(index.search('get', Number.NaN)).toHaveLength(1);
  });

  it('orders equal scores by name, and is deterministic', () => {
    const twins = indexOf([
      available('zeta_tool', 'Convert celsius to kelvin'),
      available('alpha_tool', 'Convert celsius to kelvin'),
      available('mid_tool', 'Convert celsius to kelvin'),
    ]);
    const hits = twins.search('celsius', 10);
    expect(names(hits)).toEqual(['alpha_tool', 'mid_tool', 'zeta_tool']);
    expect(new Set(hits.map((hit) => hit.score)).size).toBe(1);
    expect(index.search('list invoice', 20)).toEqual(indexOf(tools.slice().reverse()).search('list invoice', 20));
  });

  it('ranks tools matching every term before tools matching some, then fills the page', () => {
    const small = indexOf([
      available('stock_stock', 'Stock stock stock'),
      available('stock_alert', 'Alert when a stock level is low'),
      available('weather_alert', 'Severe weather alert'),
      available('unrelated', 'Nothing'),
    ]);
    const hits = small.search('stock alert', 10);
    expect(hits[0]!.name).toBe('stock_alert');
    expect(names(hits).slice(1).sort()).toEqual(['stock_stock', 'weather_alert']);
    expect(names(small.search('stock alert', 1))).toEqual(['stock_alert']);
  });

  it('leaves out tools the caller may not see, filling the page from the next', () => {
    const hits = index.search('stock price', 3, (name) => name !== 'finance_get_stock_price');
    expect(names(hits)).not.toContain('finance_get_stock_price');
    expect(hits[0]!.name).toBe('finance_get_stock_price_history');
    expect(hits).toHaveLength(3);
  });

  it('returns titles when a tool has one', () => {
    const small = indexOf([available('a_tool', 'Does things', 'A Tool'), available('b_tool', 'Does things')]);
    expect(small.search('things', 5)).toEqual([
      expect.objectContaining({ name: 'a_tool', title: 'A Tool', description: 'Does things' }),
      expect.not.objectContaining({ title: expect.anything() }),
    ]);
  });
});

describe('tool search sync', () => {
  it('follows added, replaced, removed and disabled tools, and only searches available ones', () => {
    const base = syntheticTools(300);
    const index = new ToolSearchIndex();
    const first = viewOf([...base, disabled(available('weather_get_sky_show', 'Aurora borealis forecast'))]);
    index.sync(first);
    expect(index.size).toBe(300);
    expect(index.search('aurora', 5)).toEqual([]);

    // Added.
    const aurora = available('weather_get_sky_show', 'Aurora borealis forecast');
    index.sync(viewOf([...base, aurora]));
    expect(names(index.search('aurora', 5))).toEqual(['weather_get_sky_show']);
    expect(index.size).toBe(301);

    // Replaced: a new entry for the same name with new text (a cached query sees the change too).
    const replaced = available('weather_get_sky_show', 'Northern lights visibility tonight');
    index.sync(viewOf([...base, replaced]));
    expect(index.search('aurora', 5)).toEqual([]);
    expect(names(index.search('northern lights', 5))).toEqual(['weather_get_sky_show']);

    // Disabled: still in the view, no longer available.
    index.sync(viewOf([...base, disabled(replaced)]));
    expect(index.search('northern lights', 5)).toEqual([]);
    expect(index.size).toBe(300);

    // Removed.
    const gone = base[10]!;
    const probe = gone.row.description;
    expect(names(index.search(probe, 50))).toContain(gone.name);
    index.sync(viewOf(base.filter((entry) => entry !== gone)));
    expect(names(index.search(probe, 50))).not.toContain(gone.name);
    expect(index.size).toBe(299);
  });

  it('after incremental syncs, searches like an index built from the final view', () => {
    let tools = syntheticTools(2_000);
    const index = new ToolSearchIndex();
    index.sync(viewOf(tools));
    for (let i = 0; i < 40; i++) {
      const at = (i * 97) % tools.length;
      const old = tools[at]!;
      tools = tools.map((entry) => (entry === old ? available(old.name, `${old.row.description} Also handles refunds ${i}.`, old.row.title) : entry));
      if (i % 5 === 0) tools = tools.filter((_, k) => k !== (at + 1) % tools.length);
      if (i % 7 === 0) tools = [...tools, available(`extra_tool_${i}`, `Extra refund tool number ${i}`)];
      index.sync(viewOf(tools));
    }
    const fresh = new ToolSearchIndex();
    fresh.sync(viewOf(tools));
    expect(index.size).toBe(fresh.size);
    for (const query of ['refunds', 'stock price', 'extra refund', 'list invoice batch', 'portf']) {
      const ours = index.search(query, 50);
      const theirs = fresh.search(query, 50);
      expect(names(ours)).toEqual(names(theirs));
      ours.forEach((hit, i) => expect(hit.score).toBeCloseTo(theirs[i]!.score, 6));
    }
  });

  it('a view whose entries did not change costs no reindexing', () => {
    const tools = syntheticTools(1_000);
    const index = new ToolSearchIndex();
    index.sync(viewOf(tools));
    const hits = index.search('get invoice', 10);
    // The same entries in a new view, and an entry replaced with the same text (a handler_config edit).
    const same = tools.map((entry, i) => (i === 3 ? available(entry.name, entry.row.description, entry.row.title) : entry));
    index.sync(viewOf(same));
    expect(index.search('get invoice', 10)).toEqual(hits);
    expect(index.size).toBe(1_000);
  });
});
