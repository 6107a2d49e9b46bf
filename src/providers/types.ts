/**
 * What the data providers return. Every result names its `source`, so a
 * caller can always tell a live upstream answer from the offline sample.
 */

/** Per-call options: the handler passes its context's signal through. */
export interface ProviderCallOptions {
  /** Aborted when the tool call times out or the server shuts down. */
  signal?: AbortSignal;
}

export interface StockQuote {
  symbol: string;
  /** Not every upstream reports these (Alpha Vantage GLOBAL_QUOTE does not). */
  companyName: string | null;
  currency: string | null;
  price: number;
  previousClose: number | null;
  /** price − previousClose, when the previous close is known. */
  change: number | null;
  /** change / previousClose × 100, when the previous close is known. */
  changePercent: number | null;
  /** The trading day (YYYY-MM-DD) or instant the price refers to. */
  asOf: string;
  /** Which provider answered, e.g. "alphavantage" or "offline sample snapshot (as of 2024-12-31)". */
  source: string;
  /** Extra words on the source (e.g. how the sample prices were chosen). */
  sourceNote: string | null;
}

export interface StockQuoteProvider {
  readonly name: string;
  /** undefined when the provider does not know the symbol. */
  getQuote(symbol: string, options?: ProviderCallOptions): Promise<StockQuote | undefined>;
}

export interface NewsArticle {
  title: string;
  summary: string;
  url: string | null;
  publisher: string;
  /** ISO 8601. */
  publishedAt: string;
  /** Tickers the article is tagged with (may be empty). */
  symbols: string[];
}

export interface NewsQuery {
  /** Only articles about this ticker; all articles when omitted. */
  symbol?: string | undefined;
  limit: number;
}

export interface NewsResult {
  articles: NewsArticle[];
  source: string;
  sourceNote: string | null;
}

export interface NewsProvider {
  readonly name: string;
  getNews(query: NewsQuery, options?: ProviderCallOptions): Promise<NewsResult>;
}

export interface WeatherReport {
  /** The place the provider matched, e.g. "Berlin". */
  location: string;
  country: string | null;
  latitude: number;
  longitude: number;
  temperatureC: number;
  /** Percent. */
  relativeHumidity: number | null;
  windSpeedKmh: number | null;
  /** WMO weather interpretation code. */
  weatherCode: number | null;
  conditions: string;
  /** The date or instant (ISO 8601) the conditions refer to. */
  asOf: string;
  source: string;
  sourceNote: string | null;
}

export interface WeatherProvider {
  readonly name: string;
  /** undefined when the provider cannot find the location. */
  getCurrent(location: string, options?: ProviderCallOptions): Promise<WeatherReport | undefined>;
}
