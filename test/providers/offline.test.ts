import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleFinancialNews, sampleStockQuotes, sampleWeather } from '../../drizzle/schema.ts';
import { createProviders, loadSampleData, sampleSourceLabel, seedSampleData } from '../../src/providers/index.ts';
import { describeWeatherCode, isKnownWeatherCode } from '../../src/providers/wmo.ts';
import type { ProvidersConfig } from '../../src/shared/config.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

const CONFIG: ProvidersConfig = {
  stocks: 'offline',
  news: 'offline',
  weather: 'offline',
  alphaVantage: { baseUrl: 'http://127.0.0.1:9', apiKey: undefined },
  openMeteo: { forecastUrl: 'http://127.0.0.1:9', geocodingUrl: 'http://127.0.0.1:9' },
};

describe('the sample data file', () => {
  const data = loadSampleData();

  it('is labelled as a sample with an as-of date', () => {
    expect(data.label).toBe('Sample snapshot for offline use — not live data');
    expect(data.asOf).toBe('2024-12-31');
    expect(sampleSourceLabel(data.asOf)).toBe('offline sample snapshot (as of 2024-12-31)');
  });

  it('holds about ten tickers, news items and cities, consistently', () => {
    expect(data.stockQuotes.map((quote) => quote.symbol)).toEqual(expect.arrayContaining(['AAPL', 'MSFT', 'GOOGL', 'AMZN', 'NVDA']));
    expect(data.stockQuotes.length).toBeGreaterThanOrEqual(8);
    expect(data.financialNews.length).toBeGreaterThanOrEqual(10);
    expect(data.weather.length).toBeGreaterThanOrEqual(10);
    const symbols = new Set(data.stockQuotes.map((quote) => quote.symbol));
    for (const item of data.financialNews) {
      if (item.symbol !== null) expect(symbols.has(item.symbol), item.headline).toBe(true);
      expect(Date.parse(item.publishedAt)).toBeLessThanOrEqual(Date.parse(`${data.asOf}T23:59:59Z`));
    }
    for (const city of data.weather) {
      expect(city.location).toMatch(/^[^,]+, [^,]+$/);
      expect(isKnownWeatherCode(city.weatherCode!), city.location).toBe(true);
      expect(city.conditions, city.location).toBe(describeWeatherCode(city.weatherCode));
    }
  });
});

describe.each(backends)('offline providers on %s', (backend) => {
  let database: TestDatabase;
  const counts = async () => {
    const { db } = database.database;
    return [
      (await db.select().from(sampleStockQuotes)).length,
      (await db.select().from(sampleFinancialNews)).length,
      (await db.select().from(sampleWeather)).length,
    ];
  };

  beforeAll(async () => {
    database = await openTestDatabase(backend);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('seeds every sample row once; seeding again changes nothing', async () => {
    const data = loadSampleData();
    const total = data.stockQuotes.length + data.financialNews.length + data.weather.length;
    expect(await seedSampleData(database.database.db)).toEqual({ inserted: total });
    expect(await counts()).toEqual([data.stockQuotes.length, data.financialNews.length, data.weather.length]);
    expect(await seedSampleData(database.database.db)).toEqual({ inserted: 0 });
    expect(await counts()).toEqual([data.stockQuotes.length, data.financialNews.length, data.weather.length]);
    const labels = await database.database.query(
      `select distinct source from sample_stock_quotes union select distinct source from sample_financial_news
       union select distinct source from sample_weather`,
    );
    expect(labels.rows).toEqual([{ source: 'offline sample snapshot (as of 2024-12-31)' }]);
  });

  it('never overwrites a row an operator changed', async () => {
    const { db } = database.database;
    await db.update(sampleStockQuotes).set({ price: 1 }).where(eq(sampleStockQuotes.symbol, 'MSFT'));
    expect(await seedSampleData(db)).toEqual({ inserted: 0 });
    const [row] = await db.select().from(sampleStockQuotes).where(eq(sampleStockQuotes.symbol, 'MSFT'));
    expect(row!.price).toBe(1);
    await db.update(sampleStockQuotes).set({ price: 421.5 }).where(eq(sampleStockQuotes.symbol, 'MSFT'));
  });

  it('restores deleted rows, and concurrent seeds do not duplicate news', async () => {
    const { db } = database.database;
    await db.delete(sampleFinancialNews);
    await db.delete(sampleWeather).where(eq(sampleWeather.location, 'Tokyo, Japan'));
    const results = await Promise.all([seedSampleData(db), seedSampleData(db), seedSampleData(db)]);
    expect(results.reduce((sum, result) => sum + result.inserted, 0)).toBe(loadSampleData().financialNews.length + 1);
    const data = loadSampleData();
    expect(await counts()).toEqual([data.stockQuotes.length, data.financialNews.length, data.weather.length]);
  });

  it('answers quotes, news and weather from the tables', async () => {
    const providers = createProviders(CONFIG, database.database.db);
    expect(providers.stocks.name).toBe('offline');
    const quote = await providers.stocks.getQuote(' nvda ');
    expect(quote).toMatchObject({ symbol: 'NVDA', price: 134.29, previousClose: 137.49, asOf: '2024-12-31' });
    expect(await providers.stocks.getQuote('NOPE')).toBeUndefined();

    const news = await providers.news.getNews({ symbol: 'googl', limit: 10 });
    expect(news.articles).toHaveLength(1);
    expect(news.articles[0]).toMatchObject({ publisher: expect.stringContaining('Toolport sample'), symbols: ['GOOGL'] });
    const all = await providers.news.getNews({ limit: 50 });
    expect(all.articles).toHaveLength(loadSampleData().financialNews.length);
    const times = all.articles.map((article) => Date.parse(article.publishedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const weather = await providers.weather.getCurrent('SINGAPORE');
    expect(weather).toMatchObject({ location: 'Singapore', country: 'Singapore', latitude: 1.3521, conditions: 'Slight rain showers' });
    expect(await providers.weather.getCurrent('Springfield')).toBeUndefined();
  });

  it('does not start a query for an already aborted call', async () => {
    const providers = createProviders(CONFIG, database.database.db);
    const controller = new AbortController();
    controller.abort(new Error('call timed out'));
    await expect(providers.stocks.getQuote('AAPL', { signal: controller.signal })).rejects.toThrow('call timed out');
  });

  it('creates HTTP providers only when configured, and needs an Alpha Vantage key for them', () => {
    const db = database.database.db;
    const live: ProvidersConfig = {
      ...CONFIG,
      stocks: 'alphavantage',
      news: 'alphavantage',
      weather: 'open-meteo',
      alphaVantage: { baseUrl: 'http://127.0.0.1:9', apiKey: 'k' },
    };
    const providers = createProviders(live, db);
    expect([providers.stocks.name, providers.news.name, providers.weather.name]).toEqual(['alphavantage', 'alphavantage', 'open-meteo']);
    const mixed = createProviders({ ...live, news: 'offline' }, db);
    expect([mixed.stocks.name, mixed.news.name]).toEqual(['alphavantage', 'offline']);
    expect(() => createProviders({ ...live, alphaVantage: { baseUrl: 'http://127.0.0.1:9', apiKey: undefined } }, db)).toThrow(/needs an API key/);
  });
});
