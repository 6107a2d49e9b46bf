import { Ajv2020 } from 'ajv/dist/2020.js';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { handlerKeys, handlers } from '../../src/handlers/index.ts';

const EXPECTED = [
  'calculate_portfolio',
  'calculate_stats',
  'data_processor',
  'get_financial_news',
  'get_stock_price',
  'get_time',
  'get_weather',
  'text_analyzer',
];

describe('handler index', () => {
  it('wires exactly the built-in handlers, keyed by name', () => {
    expect(handlerKeys()).toEqual(EXPECTED);
    for (const [key, handler] of handlers) expect(handler.name).toBe(key);
  });

  it.each(EXPECTED)('%s has a usable definition', (key) => {
    const handler = handlers.get(key)!;
    expect(handler.description.length).toBeGreaterThan(80);
    expect(handler.title).toBeTruthy();
    expect(handler.annotations).toHaveProperty('readOnlyHint', true);
    expect(handler.inputSchema).toMatchObject({ type: 'object' });
    expect(handler.outputSchema).toMatchObject({ type: 'object' });
    // Both schemas compile as JSON Schema 2020-12 (what the registry validates arguments with).
    const ajv = new Ajv2020({ strict: false });
    ajv.compile(handler.inputSchema);
    ajv.compile(handler.outputSchema!);
    // Every top-level argument is described for the model.
    const properties = handler.inputSchema.properties as Record<string, { description?: string }>;
    for (const [name, property] of Object.entries(properties)) expect(property.description, `${key}.${name}`).toBeTruthy();
  });

  it('puts defaults into the JSON Schema and applies them when parsing', () => {
    const time = handlers.get('get_time')!;
    expect(time.inputSchema).toMatchObject({ properties: { timezone: { default: 'UTC' } }, required: [] });
    expect(v.parse(time.input, {})).toEqual({ timezone: 'UTC' });
    const news = handlers.get('get_financial_news')!;
    expect(news.inputSchema).toMatchObject({ properties: { limit: { type: 'integer', minimum: 1, maximum: 50, default: 5 } } });
    expect(v.parse(news.input, { symbol: 'AAPL' })).toEqual({ symbol: 'AAPL', limit: 5 });
    expect(v.parse(handlers.get('text_analyzer')!.input, { text: 'x' })).toEqual({ text: 'x', topTerms: 10 });
  });

  it('allows unlisted top-level arguments (standard JSON Schema) but not unlisted keys inside positions or operations', () => {
    const ajv = new Ajv2020({ strict: false });
    const price = handlers.get('get_stock_price')!;
    expect(ajv.validate(price.inputSchema, { symbol: 'AAPL', note: 'x' })).toBe(true);
    expect(v.parse(price.input, { symbol: 'AAPL', note: 'x' })).toEqual({ symbol: 'AAPL' });
    expect(ajv.validate(price.inputSchema, { symbol: 'AAPL; DROP' })).toBe(false);
    // A misspelt nested key would silently change the numbers, so it is an error.
    const portfolio = handlers.get('calculate_portfolio')!;
    const typo = { positions: [{ symbol: 'AAPL', quantity: 1, cost_basis: 100 }] };
    expect(ajv.validate(portfolio.inputSchema, typo)).toBe(false);
    expect(v.safeParse(portfolio.input, typo).success).toBe(false);
  });
});
