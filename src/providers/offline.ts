import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { sampleFinancialNews, sampleStockQuotes, sampleWeather } from '../db/schema.ts';
import type { NewsProvider, NewsQuery, NewsResult, ProviderCallOptions, StockQuote, StockQuoteProvider, WeatherProvider, WeatherReport } from './types.ts';

/**
 * Providers that answer from the sample_* tables (seeded by seedSampleData):
 * Toolport works with no network and no API key, and every answer's `source`
 * carries the sample label and as-of date stored with the row.
 */

export const OFFLINE_SOURCE = 'offline';

const NOTES = {
  stocks: 'Sample data bundled with Toolport for offline use: an approximate past closing price, not a live quote.',
  news: 'Sample data bundled with Toolport for offline use: summaries of past public events, not a live news feed.',
  weather: 'Sample data bundled with Toolport for offline use: illustrative conditions, not a live observation.',
} as const;

export function createOfflineStockProvider(db: Db): StockQuoteProvider {
  return {
    name: OFFLINE_SOURCE,
    async getQuote(symbol: string, call: ProviderCallOptions = {}): Promise<StockQuote | undefined> {
      call.signal?.throwIfAborted();
      const [row] = await db.select().from(sampleStockQuotes).where(eq(sampleStockQuotes.symbol, symbol.trim().toUpperCase())).limit(1);
      if (!row) return undefined;
      const change = row.previousClose === null ? null : row.price - row.previousClose;
      return {
        symbol: row.symbol,
        companyName: row.companyName,
        currency: row.currency,
        price: row.price,
        previousClose: row.previousClose,
        change,
        changePercent: change === null || row.previousClose === null || row.previousClose === 0 ? null : (change / row.previousClose) * 100,
        asOf: row.asOf,
        source: row.source,
        sourceNote: NOTES.stocks,
      };
    },
  };
}

export function createOfflineNewsProvider(db: Db): NewsProvider {
  return {
    name: OFFLINE_SOURCE,
    async getNews(query: NewsQuery, call: ProviderCallOptions = {}): Promise<NewsResult> {
      call.signal?.throwIfAborted();
      const symbol = query.symbol?.trim().toUpperCase();
      const rows = await db
        .select()
        .from(sampleFinancialNews)
        .where(symbol ? eq(sampleFinancialNews.symbol, symbol) : undefined)
        .orderBy(desc(sampleFinancialNews.publishedAt), desc(sampleFinancialNews.id))
        .limit(query.limit);
      // Every row carries its own label; an empty answer still names the sample.
      const source = rows[0]?.source ?? (await latestNewsLabel(db));
      return {
        articles: rows.map((row) => ({
          title: row.headline,
          summary: row.summary,
          url: row.url,
          publisher: row.publisher,
          publishedAt: row.publishedAt.toISOString(),
          symbols: row.symbol ? [row.symbol] : [],
        })),
        source,
        sourceNote: NOTES.news,
      };
    },
  };
}

async function latestNewsLabel(db: Db): Promise<string> {
  const [row] = await db.select({ source: sampleFinancialNews.source }).from(sampleFinancialNews).orderBy(desc(sampleFinancialNews.id)).limit(1);
  return row?.source ?? 'offline sample snapshot (not seeded)';
}

/** "  new   york, USA " → { full: "new york, usa", city: "new york" } */
function normalizePlace(location: string): { full: string; city: string } {
  const full = location.trim().replace(/\s+/g, ' ').toLowerCase();
  return { full, city: full.split(',')[0]!.trim() };
}

export function createOfflineWeatherProvider(db: Db): WeatherProvider {
  return {
    name: OFFLINE_SOURCE,
    async getCurrent(location: string, call: ProviderCallOptions = {}): Promise<WeatherReport | undefined> {
      call.signal?.throwIfAborted();
      const wanted = normalizePlace(location);
      // Sample rows are "City, Country": match the whole name or just the city.
      const fullName = sql`lower(${sampleWeather.location})`;
      const [row] = await db
        .select()
        .from(sampleWeather)
        .where(sql`lower(trim(split_part(${sampleWeather.location}, ',', 1))) = ${wanted.city}`)
        .orderBy(sql`(${fullName} = ${wanted.full}) desc`, sampleWeather.location)
        .limit(1);
      if (!row) return undefined;
      const [city, ...rest] = row.location.split(',');
      return {
        location: city!.trim(),
        country: rest.join(',').trim() || null,
        latitude: row.latitude,
        longitude: row.longitude,
        temperatureC: row.temperatureC,
        relativeHumidity: row.relativeHumidity,
        windSpeedKmh: row.windSpeedKmh,
        weatherCode: row.weatherCode,
        conditions: row.conditions,
        asOf: row.asOf,
        source: row.source,
        sourceNote: NOTES.weather,
      };
    },
  };
}
