import { Ajv2020 } from 'ajv/dist/2020.js';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type Handler, type HandlerContext, ToolInputError } from '../../src/handlers/define.ts';
import { handlers } from '../../src/handlers/index.ts';
import { describeNumbers, preciseSum, processData, quantile } from '../../src/handlers/utility/data_processor.ts';
import { timeIn } from '../../src/handlers/utility/get_time.ts';
import { analyzeText, estimateSyllables } from '../../src/handlers/utility/text_analyzer.ts';
import type { Providers } from '../../src/providers/index.ts';

// These handlers must never reach for outside data: any provider access fails the test.
const noProviders = new Proxy({} as Providers, {
  get(_target, key) {
    throw new Error(`utility handler touched ctx.providers.${String(key)}`);
  },
});

const ajv = new Ajv2020({ strict: false, allErrors: true });

/** As the call layer does: check the JSON Schema, parse with valibot (defaults), run, check the output schema. */
async function call(name: string, args: unknown): Promise<Record<string, any>> {
  const handler: Handler = handlers.get(name)!;
  const validInput = ajv.compile(handler.inputSchema);
  expect(validInput(args), JSON.stringify(validInput.errors)).toBe(true);
  const input = v.parse(handler.input, args);
  const ctx: HandlerContext = { serverId: 'utility', toolName: name, config: {}, signal: new AbortController().signal, providers: noProviders };
  const result = await handler.run(input, ctx);
  const validOutput = ajv.compile(handler.outputSchema!);
  expect(validOutput(result), JSON.stringify(validOutput.errors)).toBe(true);
  return result;
}

async function inputError(name: string, args: unknown): Promise<ToolInputError> {
  const error = await call(name, args).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ToolInputError);
  return error as ToolInputError;
}

describe('get_time', () => {
  it('gives the wall clock, offset and weekday of a fixed zone (Asia/Kolkata, +05:30)', () => {
    const result = timeIn('Asia/Kolkata', new Date('2025-01-01T12:00:00Z'));
    expect(result).toMatchObject({
      iso: '2025-01-01T17:30:00+05:30',
      utc: '2025-01-01T12:00:00.000Z',
      date: '2025-01-01',
      time: '17:30:00',
      weekday: 'Wednesday',
      utcOffset: '+05:30',
      utcOffsetMinutes: 330,
      unixTime: 1735732800,
      formatted: 'Wednesday, January 1, 2025 at 17:30:00',
      timeZoneName: 'India Standard Time',
    });
  });

  it('handles negative, daylight-saving and date-crossing offsets', () => {
    expect(timeIn('America/New_York', new Date('2025-07-04T16:00:00Z'))).toMatchObject({
      iso: '2025-07-04T12:00:00-04:00',
      utcOffsetMinutes: -240,
      weekday: 'Friday',
    });
    expect(timeIn('America/New_York', new Date('2025-01-15T16:00:00Z')).utcOffset).toBe('-05:00');
    expect(timeIn('America/St_Johns', new Date('2025-01-15T12:00:00Z'))).toMatchObject({ time: '08:30:00', utcOffset: '-03:30' });
    expect(timeIn('Asia/Kathmandu', new Date('2025-01-15T00:00:00Z')).utcOffset).toBe('+05:45');
    expect(timeIn('Pacific/Kiritimati', new Date('2025-01-01T12:00:00Z'))).toMatchObject({
      date: '2025-01-02',
      time: '02:00:00',
      weekday: 'Thursday',
      utcOffset: '+14:00',
    });
    // Midnight is 00, not 24.
    expect(timeIn('UTC', new Date('2025-03-01T00:00:05Z')).time).toBe('00:00:05');
  });

  it('defaults to UTC and reports the current instant', async () => {
    const before = Date.now();
    const result = await call('get_time', {});
    expect(result.timezone).toBe('UTC');
    expect(result.utcOffset).toBe('+00:00');
    expect(Date.parse(result.utc)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(result.iso)).toBe(Math.floor(Date.parse(result.utc) / 1000) * 1000);
  });

  it('rejects an unknown zone on /timezone', async () => {
    const error = await inputError('get_time', { timezone: 'Mars/Olympus_Mons' });
    expect(error.message).toContain('unknown time zone "Mars/Olympus_Mons"');
    expect(error.path).toBe('/timezone');
  });
});

describe('text_analyzer', () => {
  it('measures a known text', async () => {
    const result = await call('text_analyzer', { text: 'The cat sat on the mat. The dog ran!' });
    const wordsPerSentence = 9 / 2;
    const syllablesPerWord = 9 / 9;
    expect(result).toMatchObject({
      characters: 36,
      charactersWithoutSpaces: 28,
      words: 9,
      uniqueWords: 7,
      sentences: 2,
      paragraphs: 1,
      averageWordLength: 2.89, // 26 letters / 9 words
      averageSentenceLength: 4.5,
      syllables: 9,
    });
    expect(result.fleschReadingEase).toBeCloseTo(206.835 - 1.015 * wordsPerSentence - 84.6 * syllablesPerWord, 2);
    expect(result.fleschKincaidGrade).toBeCloseTo(0.39 * wordsPerSentence + 11.8 * syllablesPerWord - 15.59, 2);
    // "the" and "on" are stopwords; ties are alphabetical.
    expect(result.topTerms).toEqual(['cat', 'dog', 'mat', 'ran', 'sat'].map((term) => ({ term, count: 1 })));
  });

  it('keeps contractions, hyphenated words and decimals whole, and counts paragraphs', () => {
    const result = analyzeText("It's a well-known fact.\n\nPrices rose 3.5% today... Did they?");
    expect(result.words).toBe(10);
    expect(result.sentences).toBe(3);
    expect(result.paragraphs).toBe(2);
    expect(result.topTerms.map((term) => term.term)).toEqual(['fact', 'prices', 'rose', 'today', 'well-known']);
  });

  it('ranks terms by frequency and honours topTerms', async () => {
    const text = 'Data beats opinions. Data wins. Opinions vary; data rarely does.\r\n\r\nDATA!';
    const result = await call('text_analyzer', { text, topTerms: 2 });
    expect(result.topTerms).toEqual([
      { term: 'data', count: 4 },
      { term: 'opinions', count: 2 },
    ]);
    expect(result.paragraphs).toBe(2);
    expect(result.sentences).toBe(4);
  });

  it('counts user-perceived characters', () => {
    const result = analyzeText('café 👍🏽');
    expect(result.characters).toBe(6);
    expect(result.charactersWithoutSpaces).toBe(5);
  });

  it('estimates English syllables', () => {
    const expected: Record<string, number> = {
      cat: 1,
      table: 2,
      make: 1,
      takes: 1,
      prices: 2,
      reading: 2,
      syllable: 3,
      jumped: 1,
      wanted: 2,
      yes: 1,
    };
    for (const [word, count] of Object.entries(expected)) expect(estimateSyllables(word), word).toBe(count);
  });

  it('returns nulls, not NaN, for an empty text', async () => {
    const result = await call('text_analyzer', { text: '   ' });
    expect(result).toMatchObject({
      words: 0,
      sentences: 0,
      paragraphs: 0,
      averageWordLength: null,
      averageSentenceLength: null,
      fleschReadingEase: null,
      fleschKincaidGrade: null,
      topTerms: [],
    });
  });
});

describe('data_processor', () => {
  const data = [
    { name: 'apple', category: 'fruit', price: 1.2, qty: 10, tags: ['red', 'sweet'] },
    { name: 'banana', category: 'fruit', price: 0.5, qty: 20, tags: ['yellow'] },
    { name: 'carrot', category: 'veg', price: 0.8, qty: null, tags: [] },
    { name: 'apple', category: 'fruit', price: 1.2, qty: 10, tags: ['red', 'sweet'] },
    { name: 'leek', category: 'veg', price: 2.5 },
  ];
  const names = (records: Record<string, unknown>[]) => records.map((record) => record.name);

  it('sorts stably, numbers numerically, missing values last in both directions', async () => {
    const desc = await call('data_processor', { data, operations: [{ op: 'sort', by: 'price', order: 'desc' }] });
    expect(names(desc.records)).toEqual(['leek', 'apple', 'apple', 'carrot', 'banana']);
    const byQty = await call('data_processor', { data, operations: [{ op: 'sort', by: 'qty', order: 'desc' }] });
    expect(names(byQty.records)).toEqual(['banana', 'apple', 'apple', 'carrot', 'leek']);
    const natural = processData({ data: [{ id: 'item10' }, { id: 'item2' }, { id: 'Item1' }], operations: [{ op: 'sort', by: 'id', order: 'asc' }] });
    expect(natural.records.map((record) => record.id)).toEqual(['Item1', 'item2', 'item10']);
    const multi = processData({ data, operations: [{ op: 'sort', by: ['category', 'price'], order: 'asc' }] });
    expect(names(multi.records)).toEqual(['banana', 'apple', 'apple', 'carrot', 'leek']);
  });

  it('filters with every operator', () => {
    const run = (operator: string, field: string, value: unknown) =>
      names(processData({ data, operations: [{ op: 'filter', field, operator: operator as 'eq', value }] }).records);
    expect(run('eq', 'name', 'apple')).toEqual(['apple', 'apple']);
    expect(run('ne', 'category', 'fruit')).toEqual(['carrot', 'leek']);
    expect(run('gt', 'price', 1)).toEqual(['apple', 'apple', 'leek']);
    expect(run('gte', 'price', 1.2)).toEqual(['apple', 'apple', 'leek']);
    expect(run('lt', 'price', 0.8)).toEqual(['banana']);
    expect(run('lte', 'price', 0.8)).toEqual(['banana', 'carrot']);
    expect(run('lt', 'name', 'b')).toEqual(['apple', 'apple']);
    expect(run('contains', 'name', 'an')).toEqual(['banana']);
    expect(run('contains', 'tags', 'red')).toEqual(['apple', 'apple']);
    expect(run('in', 'category', ['veg'])).toEqual(['carrot', 'leek']);
    expect(run('eq', 'qty', null)).toEqual(['carrot', 'leek']); // missing counts as null
    expect(run('eq', 'tags', ['red', 'sweet'])).toEqual(['apple', 'apple']);
  });

  it('deduplicates whole records or by fields, keeping the first', () => {
    expect(processData({ data, operations: [{ op: 'deduplicate' }] }).records).toHaveLength(4);
    const byCategory = processData({ data, operations: [{ op: 'deduplicate', by: ['category'] }] });
    expect(names(byCategory.records)).toEqual(['apple', 'carrot']);
  });

  it('groups with aggregates, then keeps piping', async () => {
    const result = await call('data_processor', {
      data,
      operations: [
        {
          op: 'group',
          by: 'category',
          aggregate: [
            { field: 'price', fn: 'sum' },
            { field: 'qty', fn: 'avg', as: 'averageQty' },
            { field: 'qty', fn: 'count' },
            { field: 'price', fn: 'max' },
          ],
        },
        { op: 'sort', by: 'sum_price', order: 'desc' },
      ],
    });
    expect(result.records).toHaveLength(2);
    const [veg, fruit] = result.records;
    expect(veg).toMatchObject({ category: 'veg', count: 2, averageQty: null, count_qty: 0, max_price: 2.5 });
    expect(veg.sum_price).toBeCloseTo(3.3, 12);
    expect(fruit).toMatchObject({ category: 'fruit', count: 3, count_qty: 3, max_price: 1.2 });
    expect(fruit.sum_price).toBeCloseTo(2.9, 12);
    expect(fruit.averageQty).toBeCloseTo(40 / 3, 12);
    expect(result.steps.map((step: { recordsOut: number }) => step.recordsOut)).toEqual([2, 2]);
  });

  it('adds aggregate and statistics results without changing the records', async () => {
    const result = await call('data_processor', {
      data,
      operations: [
        { op: 'aggregate', field: 'price', fn: 'sum' },
        { op: 'aggregate', field: 'qty', fn: 'min' },
        { op: 'statistics', field: 'qty' },
        { op: 'filter', field: 'category', operator: 'eq', value: 'fruit' },
      ],
    });
    expect(result.recordCount).toBe(3);
    expect(result.results[0]).toMatchObject({ op: 'aggregate', index: 0, field: 'price', fn: 'sum' });
    expect(result.results[0].value).toBe(6.2);
    expect(result.results[1].value).toBe(10);
    expect(result.results[2]).toMatchObject({ op: 'statistics', index: 2, field: 'qty', count: 3, missing: 2, sum: 40, min: 10, max: 20, median: 10 });
    expect(result.summary).toContain('5 record(s) in, 3 out');
  });

  it('computes descriptive statistics (population and sample standard deviation, linear-interpolation quartiles)', () => {
    const stats = describeNumbers([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(stats).toMatchObject({ count: 8, sum: 40, mean: 5, median: 4.5, min: 2, max: 9, p25: 4, p75: 5.5 });
    expect(stats.variancePopulation).toBe(4);
    expect(stats.stdevPopulation).toBe(2);
    expect(stats.varianceSample).toBeCloseTo(32 / 7, 12);
    expect(stats.stdevSample).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(describeNumbers([7])).toMatchObject({ mean: 7, median: 7, stdevPopulation: 0, stdevSample: null, p25: 7 });
    expect(describeNumbers([])).toMatchObject({ count: 0, sum: 0, mean: null, median: null, stdevPopulation: null });
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(preciseSum([0.1, 0.2, 0.3])).toBe(0.6);
    expect(preciseSum([1e16, 1, -1e16])).toBe(1);
  });

  it('rejects a field no record has, naming it and the operation', async () => {
    const error = await inputError('data_processor', {
      data,
      operations: [
        { op: 'sort', by: 'name' },
        { op: 'statistics', field: 'weight' },
      ],
    });
    expect(error.message).toMatch(/field "weight" does not exist in any record \(fields: name, category, price, qty, tags\)/);
    expect(error.path).toBe('/operations/1/field');
    expect((await inputError('data_processor', { data, operations: [{ op: 'sort', by: 'size' }] })).path).toBe('/operations/0/by');
  });

  it('rejects non-numeric values in numeric operations', async () => {
    const stats = await inputError('data_processor', { data, operations: [{ op: 'statistics', field: 'name' }] });
    expect(stats.message).toContain('field "name" is not numeric: record 0 has "apple" (string)');
    expect(stats.path).toBe('/operations/0/field');
    const group = await inputError('data_processor', {
      data,
      operations: [{ op: 'group', by: 'category', aggregate: [{ field: 'name', fn: 'avg' }] }],
    });
    expect(group.path).toBe('/operations/0/aggregate/0/field');
    const filter = await inputError('data_processor', { data, operations: [{ op: 'filter', field: 'name', operator: 'gt', value: 3 }] });
    expect(filter.message).toContain('field "name" is not numeric');
  });

  it('rejects unusable filter values', async () => {
    expect((await inputError('data_processor', { data, operations: [{ op: 'filter', field: 'name', operator: 'in', value: 'apple' }] })).path).toBe(
      '/operations/0/value',
    );
    expect((await inputError('data_processor', { data, operations: [{ op: 'filter', field: 'price', operator: 'gt', value: { x: 1 } }] })).path).toBe(
      '/operations/0/value',
    );
  });

  it('leaves unknown operations and fields to schema validation', () => {
    const handler = handlers.get('data_processor')!;
    expect(v.safeParse(handler.input, { data, operations: [{ op: 'explode' }] }).success).toBe(false);
    expect(v.safeParse(handler.input, { data, operations: [{ op: 'sort', by: 'name', direction: 'up' }] }).success).toBe(false);
    expect(v.safeParse(handler.input, { data: [1, 2], operations: [] }).success).toBe(false);
  });

  it('handles empty data', async () => {
    const result = await call('data_processor', {
      data: [],
      operations: [
        { op: 'statistics', field: 'x' },
        { op: 'sort', by: 'x' },
      ],
    });
    expect(result.records).toEqual([]);
    expect(result.results[0]).toMatchObject({ count: 0, mean: null });
  });
});
