import { Ajv2020 } from 'ajv/dist/2020.js';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HandlerContext, ToolInputError } from '../../src/handlers/define.ts';
import { valuePortfolio } from '../../src/handlers/finance/calculate_portfolio.ts';
import { handlers } from '../../src/handlers/index.ts';
import { createProviders, type Providers, seedSampleData } from '../../src/providers/index.ts';
import type { ProvidersConfig } from '../../src/shared/config.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * The handlers that need outside data, run against the offline providers on a
 * real seeded database (the default configuration).
 */

const OFFLINE: ProvidersConfig = {
  stocks: 'offline',
  news: 'offline',
  weather: 'offline',
  alphaVantage: { baseUrl: 'http://127.0.0.1:9', apiKey: undefined },
  openMeteo: { forecastUrl: 'http://127.0.0.1:9', geocodingUrl: 'http://127.0.0.1:9' },
};
const SAMPLE = 'offline sample snapshot (as of 2024-12-31)';
const ajv = new Ajv2020({ strict: false, allErrors: true });

describe('valuePortfolio (pure arithmetic)', () => {
  it('does not round: value is exactly quantity × price, weights are value / total', () => {
    const result = valuePortfolio([
      { symbol: 'A', quantity: 3, price: 0.1, priceSource: 'position' },
      { symbol: 'B', quantity: 7, price: 1 / 3, priceSource: 'position', costBasis: 2 },
    ]);
    expect(result.positions[0]!.value).toBe(3 * 0.1);
    expect(result.positions[1]!.value).toBe(7 * (1 / 3));
    expect(result.totalValue).toBe(3 * 0.1 + 7 * (1 / 3));
    expect(result.positions[0]!.weight).toBe((3 * 0.1) / result.totalValue);
    expect(result.positions.reduce((sum, position) => sum + position.weight!, 0)).toBeCloseTo(1, 14);
    expect(result.positions[1]!.gainLoss).toBe(7 * (1 / 3) - 2);
    expect(result.positions[1]!.gainLossPercent).toBe(((7 * (1 / 3) - 2) / 2) * 100);
    expect(result.positions[0]).toMatchObject({ costBasis: null, gainLoss: null, gainLossPercent: null });
  });

  it('gives null weights for a zero total and null percent for a zero cost basis', () => {
    const result = valuePortfolio([{ symbol: 'A', quantity: 5, price: 0, priceSource: 'position', costBasis: 0 }]);
    expect(result).toMatchObject({ totalValue: 0, totalCostBasis: 0, totalGainLoss: 0, totalGainLossPercent: null });
    expect(result.positions[0]).toMatchObject({ weight: null, gainLoss: 0, gainLossPercent: null });
  });
});

describe.each(backends)('provider-backed handlers, offline providers on %s', (backend) => {
  let database: TestDatabase;
  let providers: Providers;

  beforeAll(async () => {
    database = await openTestDatabase(backend);
    await seedSampleData(database.database.db);
    providers = createProviders(OFFLINE, database.database.db);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** As the call layer does: parse with the handler's schema, run, check the result against the output schema. */
  async function call(name: string, args: unknown): Promise<Record<string, any>> {
    const handler = handlers.get(name)!;
    const ctx: HandlerContext = { serverId: 'finance', toolName: name, config: {}, signal: new AbortController().signal, providers };
    const result = await handler.run(v.parse(handler.input, args), ctx);
    const valid = ajv.compile(handler.outputSchema!);
    expect(valid(result), JSON.stringify(valid.errors)).toBe(true);
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

  describe('get_stock_price', () => {
    it('answers from the sample, saying so', async () => {
      const quote = await call('get_stock_price', { symbol: 'aapl' });
      expect(quote).toMatchObject({
        symbol: 'AAPL',
        companyName: 'Apple Inc.',
        currency: 'USD',
        price: 250.42,
        previousClose: 252.2,
        asOf: '2024-12-31',
        source: SAMPLE,
      });
      expect(quote.change).toBeCloseTo(250.42 - 252.2, 10);
      expect(quote.changePercent).toBeCloseTo(((250.42 - 252.2) / 252.2) * 100, 10);
      expect(quote.sourceNote).toMatch(/not a live quote/);
    });

    it('reports null change when the previous close is unknown', async () => {
      expect(await call('get_stock_price', { symbol: 'BRK.B' })).toMatchObject({ previousClose: null, change: null, changePercent: null });
    });

    it('rejects an unknown symbol on /symbol', async () => {
      const error = await inputError('get_stock_price', { symbol: 'ZZZZ' });
      expect(error.message).toContain('unknown symbol "ZZZZ"');
      expect(error.path).toBe('/symbol');
    });
  });

  describe('calculate_portfolio', () => {
    it('prices from the position, the prices map and the provider, and totals gain/loss', async () => {
      const result = await call('calculate_portfolio', {
        positions: [
          { symbol: 'AAPL', quantity: 10, costBasis: 2000 },
          { symbol: 'msft', quantity: 5, price: 400, costBasis: 2500 },
          { symbol: 'XYZ', quantity: 2 },
        ],
        prices: { xyz: 50 },
      });
      const [aapl, msft, xyz] = result.positions;
      expect(aapl).toMatchObject({
        symbol: 'AAPL',
        price: 250.42,
        priceSource: 'provider',
        priceSourceDetail: SAMPLE,
        priceAsOf: '2024-12-31',
        currency: 'USD',
        value: 10 * 250.42,
        gainLoss: 10 * 250.42 - 2000,
      });
      expect(aapl.gainLossPercent).toBeCloseTo(25.21, 10);
      expect(msft).toMatchObject({ symbol: 'MSFT', priceSource: 'position', value: 2000, gainLoss: -500, gainLossPercent: -20 });
      expect(xyz).toMatchObject({ priceSource: 'prices', priceSourceDetail: null, value: 100, gainLoss: null });
      const total = 10 * 250.42 + 2000 + 100;
      expect(result.totalValue).toBe(total);
      expect(aapl.weight).toBe((10 * 250.42) / total);
      expect(result.positions.reduce((sum: number, position: { weight: number }) => sum + position.weight, 0)).toBeCloseTo(1, 14);
      expect(result.totalCostBasis).toBe(4500);
      expect(result.totalGainLoss).toBeCloseTo(4.2, 10);
      expect(result.totalGainLossPercent).toBeCloseTo((4.2 / 4500) * 100, 10);
      expect(result.positionsWithCostBasis).toBe(2);
      expect(result.currencies).toEqual(['USD']);
      expect(result.warnings).toEqual([
        'only 2 of 3 positions have a cost basis; total gain/loss covers those positions only',
        `some prices come from the ${SAMPLE}, not live market data`,
      ]);
    });

    it('looks up many symbols and keeps the positions in input order', async () => {
      const symbols = ['TSLA', 'AAPL', 'MSFT', 'GOOGL', 'AMZN', 'NVDA', 'META', 'AAPL'];
      const result = await call('calculate_portfolio', { positions: symbols.map((symbol) => ({ symbol, quantity: 1 })) });
      expect(result.positions.map((position: { symbol: string }) => position.symbol)).toEqual(symbols);
      expect(result.positions.every((position: { priceSource: string }) => position.priceSource === 'provider')).toBe(true);
      expect(result.positions[0].price).toBe(403.84);
    });

    it('rejects a symbol without a price that the provider does not know, pointing at the position', async () => {
      const error = await inputError('calculate_portfolio', {
        positions: [
          { symbol: 'AAPL', quantity: 1 },
          { symbol: 'NOPE', quantity: 1 },
        ],
      });
      expect(error.message).toContain('unknown symbol "NOPE" at position 1');
      expect(error.path).toBe('/positions/1/symbol');
    });

    it('leaves bad quantities to schema validation', () => {
      const handler = handlers.get('calculate_portfolio')!;
      expect(v.safeParse(handler.input, { positions: [{ symbol: 'AAPL', quantity: 0 }] }).success).toBe(false);
      expect(v.safeParse(handler.input, { positions: [] }).success).toBe(false);
      expect(ajv.validate(handler.inputSchema, { positions: [{ symbol: 'AAPL', quantity: -1 }] })).toBe(false);
    });
  });

  describe('get_financial_news', () => {
    it("lists a ticker's articles newest first", async () => {
      const result = await call('get_financial_news', { symbol: 'nvda' });
      expect(result).toMatchObject({ symbol: 'NVDA', count: 2, source: SAMPLE });
      expect(result.articles.map((article: { publishedAt: string }) => article.publishedAt)).toEqual(['2024-06-18T00:00:00.000Z', '2024-06-10T00:00:00.000Z']);
      expect(result.articles[0]).toMatchObject({ symbols: ['NVDA'], url: null });
    });

    it('lists general news up to the limit (default 5)', async () => {
      expect((await call('get_financial_news', {})).count).toBe(5);
      const latest = await call('get_financial_news', { limit: 3 });
      expect(latest.symbol).toBeNull();
      expect(latest.articles.map((article: { title: string }) => article.title)).toEqual([
        'Tesla unveils its Cybercab robotaxi concept',
        'US Justice Department sues Visa over debit card market',
        'Federal Reserve cuts its policy rate by half a percentage point',
      ]);
    });

    it('answers an empty list, still labelled, for a ticker without articles', async () => {
      expect(await call('get_financial_news', { symbol: 'IBM' })).toMatchObject({ count: 0, articles: [], source: SAMPLE });
    });
  });

  describe('get_weather', () => {
    it('finds a sample city by name, case-insensitively, with or without the country', async () => {
      const london = await call('get_weather', { location: '  london ' });
      expect(london).toMatchObject({
        location: 'London',
        country: 'United Kingdom',
        temperatureC: 7,
        weatherCode: 3,
        conditions: 'Overcast',
        asOf: '2024-12-31',
        source: SAMPLE,
      });
      expect((await call('get_weather', { location: 'Cape Town, South Africa' })).location).toBe('Cape Town');
      expect((await call('get_weather', { location: 'new york, USA' })).country).toBe('United States');
    });

    it('rejects an unknown place on /location', async () => {
      const error = await inputError('get_weather', { location: 'Atlantis' });
      expect(error.message).toContain('unknown location "Atlantis"');
      expect(error.path).toBe('/location');
    });
  });
});
