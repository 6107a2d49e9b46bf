import { endpoint, getJson, isRecord, redact, toNumber, UpstreamError } from './http.ts';
import type { NewsArticle, NewsProvider, NewsQuery, NewsResult, ProviderCallOptions, StockQuote, StockQuoteProvider } from './types.ts';

/**
 * Alpha Vantage (https://www.alphavantage.co/documentation/): GLOBAL_QUOTE for
 * quotes, NEWS_SENTIMENT for news. It answers problems with HTTP 200 and a
 * body of {"Error Message"}, {"Note"} (per-minute throttle) or
 * {"Information"} (daily limit, bad key, bad input) instead of data; those
 * become errors that quote its message.
 */

export const ALPHA_VANTAGE_SOURCE = 'alphavantage';
const SERVICE = 'Alpha Vantage';

export interface AlphaVantageOptions {
  baseUrl: string;
  apiKey: string;
  fetchImpl: typeof fetch;
  timeoutMs: number;
}

async function query(
  options: AlphaVantageOptions,
  fn: string,
  params: Record<string, string | number | undefined>,
  call: ProviderCallOptions,
): Promise<Record<string, unknown>> {
  const url = endpoint(options.baseUrl, 'query', { function: fn, ...params, apikey: options.apiKey });
  const secrets = [options.apiKey];
  const body = await getJson({
    fetchImpl: options.fetchImpl,
    service: SERVICE,
    what: fn,
    url,
    signal: call.signal,
    timeoutMs: options.timeoutMs,
    secrets,
  });
  if (!isRecord(body)) throw new UpstreamError(SERVICE, `${SERVICE} ${fn} returned an unexpected body (not a JSON object)`);
  const error = body['Error Message'];
  if (typeof error === 'string') {
    throw new UpstreamError(SERVICE, redact(`${SERVICE} rejected the ${fn} request: ${error}`, secrets));
  }
  for (const key of ['Note', 'Information']) {
    const notice = body[key];
    if (typeof notice === 'string') {
      throw new UpstreamError(SERVICE, redact(`${SERVICE} returned a notice instead of ${fn} data (often its request-rate limit): ${notice}`, secrets));
    }
  }
  return body;
}

function malformed(fn: string, what: string): UpstreamError {
  return new UpstreamError(SERVICE, `${SERVICE} ${fn} returned a malformed response: ${what}`);
}

export function createAlphaVantageStockProvider(options: AlphaVantageOptions): StockQuoteProvider {
  return {
    name: ALPHA_VANTAGE_SOURCE,
    async getQuote(symbol: string, call: ProviderCallOptions = {}): Promise<StockQuote | undefined> {
      const body = await query(options, 'GLOBAL_QUOTE', { symbol }, call);
      const quote = body['Global Quote'];
      if (!isRecord(quote)) throw malformed('GLOBAL_QUOTE', 'no "Global Quote" object');
      // An unknown symbol is answered with an empty "Global Quote".
      if (Object.keys(quote).length === 0) return undefined;
      const price = toNumber(quote['05. price']);
      if (price === undefined) throw malformed('GLOBAL_QUOTE', '"05. price" is not a number');
      const day = quote['07. latest trading day'];
      if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
        throw malformed('GLOBAL_QUOTE', '"07. latest trading day" is not a date');
      }
      const previousClose = toNumber(quote['08. previous close']) ?? null;
      const change = toNumber(quote['09. change']) ?? (previousClose === null ? null : price - previousClose);
      const changePercent =
        toNumber(quote['10. change percent']) ?? (previousClose === null || previousClose === 0 ? null : ((price - previousClose) / previousClose) * 100);
      const reported = quote['01. symbol'];
      return {
        symbol: typeof reported === 'string' && reported ? reported : symbol,
        companyName: null,
        currency: null,
        price,
        previousClose,
        change,
        changePercent,
        asOf: day,
        source: ALPHA_VANTAGE_SOURCE,
        sourceNote: 'Alpha Vantage GLOBAL_QUOTE (latest trading day; may be delayed).',
      };
    },
  };
}

/** "20240110T143000" → "2024-01-10T14:30:00" (Alpha Vantage states no time zone, so none is added). */
export function parseAlphaVantageTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?$/.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '00'] = match;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}`;
}

function toArticle(item: unknown): NewsArticle | undefined {
  if (!isRecord(item) || typeof item.title !== 'string' || !item.title) return undefined;
  const tickers = Array.isArray(item.ticker_sentiment) ? item.ticker_sentiment : [];
  const publisher = (typeof item.source === 'string' && item.source) || (typeof item.source_domain === 'string' && item.source_domain) || 'unknown';
  return {
    title: item.title,
    summary: typeof item.summary === 'string' ? item.summary : '',
    url: typeof item.url === 'string' && item.url ? item.url : null,
    publisher,
    publishedAt: parseAlphaVantageTime(item.time_published) ?? String(item.time_published ?? ''),
    symbols: tickers.flatMap((entry) => (isRecord(entry) && typeof entry.ticker === 'string' ? [entry.ticker] : [])),
  };
}

export function createAlphaVantageNewsProvider(options: AlphaVantageOptions): NewsProvider {
  return {
    name: ALPHA_VANTAGE_SOURCE,
    async getNews(news: NewsQuery, call: ProviderCallOptions = {}): Promise<NewsResult> {
      const body = await query(options, 'NEWS_SENTIMENT', { tickers: news.symbol, limit: news.limit, sort: 'LATEST' }, call);
      if (!Array.isArray(body.feed)) throw malformed('NEWS_SENTIMENT', 'no "feed" array');
      const articles = body.feed.flatMap((item) => toArticle(item) ?? []).slice(0, news.limit);
      return {
        articles,
        source: ALPHA_VANTAGE_SOURCE,
        sourceNote: 'Alpha Vantage NEWS_SENTIMENT; publishedAt is as Alpha Vantage reports it (no time zone stated).',
      };
    },
  };
}
