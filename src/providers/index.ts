import type { Db } from '../db/client.ts';
import type { ProvidersConfig } from '../shared/config.ts';
import { type AlphaVantageOptions, createAlphaVantageNewsProvider, createAlphaVantageStockProvider } from './alphavantage.ts';
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from './http.ts';
import { createOfflineNewsProvider, createOfflineStockProvider, createOfflineWeatherProvider } from './offline.ts';
import { createOpenMeteoWeatherProvider } from './open-meteo.ts';
import type { NewsProvider, StockQuoteProvider, WeatherProvider } from './types.ts';

export { UpstreamError } from './http.ts';
export { loadSampleData, SAMPLE_DATA_PATH, type SampleData, sampleSourceLabel, seedSampleData } from './sample-data.ts';
export type * from './types.ts';

/** The data sources handlers reach through `ctx.providers`, chosen once at start. */
export interface Providers {
  stocks: StockQuoteProvider;
  news: NewsProvider;
  weather: WeatherProvider;
}

export interface ProviderOptions {
  /** Per upstream HTTP request (a tool call may make two, e.g. geocoding + forecast). */
  timeoutMs?: number;
}

export function createProviders(config: ProvidersConfig, db: Db, fetchImpl: typeof fetch = fetch, options: ProviderOptions = {}): Providers {
  const timeoutMs = options.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  let alphaVantage: AlphaVantageOptions | undefined;
  if (config.stocks === 'alphavantage' || config.news === 'alphavantage') {
    const { apiKey, baseUrl } = config.alphaVantage;
    if (!apiKey) throw new Error('the alphavantage provider needs an API key (ALPHAVANTAGE_API_KEY)');
    alphaVantage = { baseUrl, apiKey, fetchImpl, timeoutMs };
  }
  return {
    stocks: alphaVantage && config.stocks === 'alphavantage' ? createAlphaVantageStockProvider(alphaVantage) : createOfflineStockProvider(db),
    news: alphaVantage && config.news === 'alphavantage' ? createAlphaVantageNewsProvider(alphaVantage) : createOfflineNewsProvider(db),
    weather: config.weather === 'open-meteo' ? createOpenMeteoWeatherProvider({ ...config.openMeteo, fetchImpl, timeoutMs }) : createOfflineWeatherProvider(db),
  };
}
