import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HandlerContext, ToolInputError } from '../../src/handlers/define.ts';
import { handlers } from '../../src/handlers/index.ts';
import { createAlphaVantageNewsProvider, createAlphaVantageStockProvider, parseAlphaVantageTime } from '../../src/providers/alphavantage.ts';
import { UpstreamError } from '../../src/providers/http.ts';
import type { Providers } from '../../src/providers/index.ts';
import { createOpenMeteoWeatherProvider, openMeteoTimeToIso } from '../../src/providers/open-meteo.ts';

/**
 * The HTTP providers against a real HTTP server on 127.0.0.1 that answers in
 * the documented Alpha Vantage and Open-Meteo formats, including their error
 * and throttle bodies. Nothing here touches the internet.
 */

const API_KEY = 'TESTKEY-d41d8cd98f00';

const QUOTES: Record<string, Record<string, string>> = {
  IBM: {
    '01. symbol': 'IBM',
    '02. open': '219.9800',
    '03. high': '221.2000',
    '04. low': '218.8000',
    '05. price': '220.5000',
    '06. volume': '3021431',
    '07. latest trading day': '2025-01-10',
    '08. previous close': '219.0000',
    '09. change': '1.5000',
    '10. change percent': '0.6849%',
  },
};

const FEED = [
  {
    title: 'IBM unveils a new mainframe',
    url: 'https://news.example/ibm-mainframe',
    time_published: '20250110T143000',
    authors: ['A. Writer'],
    summary: 'The company introduced its next mainframe generation.',
    banner_image: null,
    source: 'Example Wire',
    category_within_source: 'Technology',
    source_domain: 'news.example',
    topics: [{ topic: 'Technology', relevance_score: '1.0' }],
    overall_sentiment_score: 0.21,
    overall_sentiment_label: 'Somewhat-Bullish',
    ticker_sentiment: [{ ticker: 'IBM', relevance_score: '0.9', ticker_sentiment_score: '0.3', ticker_sentiment_label: 'Somewhat-Bullish' }],
  },
  {
    title: 'Markets close mixed',
    url: 'https://news.example/markets',
    time_published: '20250110T210500',
    summary: 'Stocks ended the day mixed.',
    source: 'Example Daily',
    ticker_sentiment: [
      { ticker: 'IBM', relevance_score: '0.2' },
      { ticker: 'AAPL', relevance_score: '0.1' },
    ],
  },
  { title: 'Third story', url: '', time_published: '20250109T090000', summary: 'x', source_domain: 'third.example' },
  { notAnArticle: true },
];

const BERLIN = {
  id: 2950159,
  name: 'Berlin',
  latitude: 52.52437,
  longitude: 13.41053,
  elevation: 74,
  feature_code: 'PPLC',
  country_code: 'DE',
  timezone: 'Europe/Berlin',
  population: 3426354,
  country: 'Germany',
  admin1: 'Land Berlin',
};
const PARIS_FR = { id: 2988507, name: 'Paris', latitude: 48.85341, longitude: 2.3488, country_code: 'FR', country: 'France', admin1: 'Île-de-France' };
const PARIS_TX = { id: 4717560, name: 'Paris', latitude: 33.66094, longitude: -95.55551, country_code: 'US', country: 'United States', admin1: 'Texas' };

const requests: URL[] = [];
let server: Server;
let base: string;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function alphaVantage(url: URL, res: ServerResponse): void {
  const params = url.searchParams;
  if (params.get('apikey') !== API_KEY) {
    return json(res, 200, { Information: 'the parameter apikey is invalid or missing. Please claim your free API key.' });
  }
  const symbol = params.get('symbol') ?? params.get('tickers') ?? '';
  switch (symbol) {
    case 'THROTTLE':
      return json(res, 200, {
        Note: 'Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day.',
      });
    case 'DAILY':
      return json(res, 200, {
        Information: 'We have detected your API key as TESTKEY-d41d8cd98f00 and our standard API rate limit is 25 requests per day.',
      });
    case 'BAD':
      return json(res, 200, { 'Error Message': `Invalid API call. Please retry or visit the documentation. apikey=${API_KEY}` });
    case 'BOOM':
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error while serving apikey=${API_KEY}`);
      return;
    case 'HTML':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>maintenance</body></html>');
      return;
    case 'NOPRICE':
      return json(res, 200, { 'Global Quote': { '01. symbol': 'NOPRICE', '05. price': 'n/a', '07. latest trading day': '2025-01-10' } });
    case 'SLOW':
      setTimeout(() => json(res, 200, { 'Global Quote': {} }), 3_000).unref();
      return;
  }
  if (params.get('function') === 'GLOBAL_QUOTE') return json(res, 200, { 'Global Quote': QUOTES[symbol] ?? {} });
  if (params.get('function') === 'NEWS_SENTIMENT') {
    if (symbol === 'NOFEED') return json(res, 200, { items: '0' });
    const feed = symbol ? FEED.filter((item) => !('ticker_sentiment' in item) || item.ticker_sentiment!.some((t) => t.ticker === symbol)) : FEED;
    return json(res, 200, { items: String(feed.length), sentiment_score_definition: '…', relevance_score_definition: '…', feed });
  }
  return json(res, 200, { 'Error Message': 'This API function does not exist.' });
}

function openMeteo(url: URL, res: ServerResponse): void {
  const params = url.searchParams;
  if (url.pathname === '/geo/v1/search') {
    const name = params.get('name');
    if (name === 'Crashtown') return json(res, 500, { error: true, reason: 'geocoder exploded' });
    if (name === 'Berlin') return json(res, 200, { results: [BERLIN], generationtime_ms: 0.6 });
    if (name === 'Paris') return json(res, 200, { results: [PARIS_FR, PARIS_TX].slice(0, Number(params.get('count'))), generationtime_ms: 0.4 });
    if (name === 'Errorville') return json(res, 200, { results: [{ name: 'Errorville', latitude: 1, longitude: 2, country: 'Nowhere' }] });
    return json(res, 200, { generationtime_ms: 0.2 });
  }
  if (url.pathname === '/forecast/v1/forecast') {
    if (params.get('latitude') === '1') {
      return json(res, 400, { error: true, reason: 'Cannot initialize WeatherVariable from invalid String value tempeture_2m for key current' });
    }
    if (params.get('current') !== 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code') {
      return json(res, 400, { error: true, reason: 'unexpected current= list' });
    }
    return json(res, 200, {
      latitude: Number(params.get('latitude')),
      longitude: Number(params.get('longitude')),
      generationtime_ms: 0.03,
      utc_offset_seconds: 0,
      timezone: 'GMT',
      timezone_abbreviation: 'GMT',
      elevation: 38,
      current_units: {
        time: 'iso8601',
        interval: 'seconds',
        temperature_2m: '°C',
        relative_humidity_2m: '%',
        wind_speed_10m: 'km/h',
        weather_code: 'wmo code',
      },
      current: { time: '2025-01-10T14:15', interval: 900, temperature_2m: 3.4, relative_humidity_2m: 81, wind_speed_10m: 12.6, weather_code: 61 },
    });
  }
  json(res, 404, { error: true, reason: 'not found' });
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    if (url.pathname === '/av/query') return alphaVantage(url, res);
    return openMeteo(url, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests.length = 0;
});

function alphaVantageOptions(overrides: Partial<{ apiKey: string; timeoutMs: number }> = {}) {
  return { baseUrl: `${base}/av`, apiKey: API_KEY, fetchImpl: fetch, timeoutMs: 2_000, ...overrides };
}

function weatherProvider(timeoutMs = 2_000) {
  return createOpenMeteoWeatherProvider({ forecastUrl: `${base}/forecast`, geocodingUrl: `${base}/geo`, fetchImpl: fetch, timeoutMs });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('Alpha Vantage quotes', () => {
  const stocks = () => createAlphaVantageStockProvider(alphaVantageOptions());

  it('reads a GLOBAL_QUOTE', async () => {
    expect(await stocks().getQuote('IBM')).toEqual({
      symbol: 'IBM',
      companyName: null,
      currency: null,
      price: 220.5,
      previousClose: 219,
      change: 1.5,
      changePercent: 0.6849,
      asOf: '2025-01-10',
      source: 'alphavantage',
      sourceNote: expect.any(String),
    });
    expect(requests).toHaveLength(1);
    expect(Object.fromEntries(requests[0]!.searchParams)).toEqual({ function: 'GLOBAL_QUOTE', symbol: 'IBM', apikey: API_KEY });
  });

  it('treats an empty "Global Quote" as an unknown symbol', async () => {
    expect(await stocks().getQuote('ZZZZ')).toBeUndefined();
  });

  it('turns throttle and notice bodies into clear errors', async () => {
    const throttle = await failure(stocks().getQuote('THROTTLE'));
    expect(throttle).toBeInstanceOf(UpstreamError);
    expect(throttle.message).toMatch(/^Alpha Vantage returned a notice instead of GLOBAL_QUOTE data \(often its request-rate limit\): Thank you/);
    const daily = await failure(stocks().getQuote('DAILY'));
    expect(daily.message).toContain('25 requests per day');
    const badKey = await failure(createAlphaVantageStockProvider(alphaVantageOptions({ apiKey: 'wrong-key' })).getQuote('IBM'));
    expect(badKey.message).toContain('apikey is invalid or missing');
  });

  it('turns "Error Message", HTTP 500, non-JSON and malformed bodies into errors', async () => {
    expect((await failure(stocks().getQuote('BAD'))).message).toMatch(/^Alpha Vantage rejected the GLOBAL_QUOTE request: Invalid API call/);
    const boom = await failure(stocks().getQuote('BOOM'));
    expect(boom.message).toMatch(/^Alpha Vantage GLOBAL_QUOTE request failed with HTTP 500 Internal Server Error: internal error/);
    expect((boom as UpstreamError).status).toBe(500);
    expect((await failure(stocks().getQuote('HTML'))).message).toBe('Alpha Vantage GLOBAL_QUOTE request returned a response that is not JSON');
    expect((await failure(stocks().getQuote('NOPRICE'))).message).toBe('Alpha Vantage GLOBAL_QUOTE returned a malformed response: "05. price" is not a number');
  });

  it('never puts the API key in an error message', async () => {
    for (const symbol of ['BAD', 'BOOM', 'DAILY', 'SLOW']) {
      const provider = createAlphaVantageStockProvider(alphaVantageOptions({ timeoutMs: 200 }));
      const error = await failure(provider.getQuote(symbol));
      expect(error.message, symbol).not.toContain(API_KEY);
      expect(String(error.stack), symbol).not.toContain(API_KEY);
    }
  });

  it('times out', async () => {
    const provider = createAlphaVantageStockProvider(alphaVantageOptions({ timeoutMs: 200 }));
    const started = Date.now();
    const error = await failure(provider.getQuote('SLOW'));
    expect(error.message).toBe('Alpha Vantage GLOBAL_QUOTE request timed out after 200 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('tool call timed out')), 100);
    const error = await failure(stocks().getQuote('SLOW', { signal: controller.signal }));
    expect(error.message).toBe('Alpha Vantage GLOBAL_QUOTE request was cancelled (the tool call was aborted or timed out)');
  });

  it('reports an unreachable upstream', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const provider = createAlphaVantageStockProvider({ ...alphaVantageOptions(), baseUrl: `http://127.0.0.1:${port}` });
    expect((await failure(provider.getQuote('IBM'))).message).toMatch(/^Alpha Vantage GLOBAL_QUOTE request failed: fetch failed: .*ECONNREFUSED/);
  });
});

describe('Alpha Vantage news', () => {
  const news = () => createAlphaVantageNewsProvider(alphaVantageOptions());

  it('reads a NEWS_SENTIMENT feed', async () => {
    const result = await news().getNews({ symbol: 'IBM', limit: 10 });
    expect(Object.fromEntries(requests[0]!.searchParams)).toEqual({
      function: 'NEWS_SENTIMENT',
      tickers: 'IBM',
      limit: '10',
      sort: 'LATEST',
      apikey: API_KEY,
    });
    expect(result.source).toBe('alphavantage');
    expect(result.articles).toEqual([
      {
        title: 'IBM unveils a new mainframe',
        summary: 'The company introduced its next mainframe generation.',
        url: 'https://news.example/ibm-mainframe',
        publisher: 'Example Wire',
        publishedAt: '2025-01-10T14:30:00',
        symbols: ['IBM'],
      },
      {
        title: 'Markets close mixed',
        summary: 'Stocks ended the day mixed.',
        url: 'https://news.example/markets',
        publisher: 'Example Daily',
        publishedAt: '2025-01-10T21:05:00',
        symbols: ['IBM', 'AAPL'],
      },
      { title: 'Third story', summary: 'x', url: null, publisher: 'third.example', publishedAt: '2025-01-09T09:00:00', symbols: [] },
    ]);
  });

  it('asks for general news without tickers and keeps to the limit', async () => {
    const result = await news().getNews({ limit: 2 });
    expect(requests[0]!.searchParams.has('tickers')).toBe(false);
    expect(result.articles.map((article) => article.title)).toEqual(['IBM unveils a new mainframe', 'Markets close mixed']);
  });

  it('turns throttle bodies and a missing feed into errors', async () => {
    expect((await failure(news().getNews({ symbol: 'THROTTLE', limit: 5 }))).message).toContain('instead of NEWS_SENTIMENT data');
    expect((await failure(news().getNews({ symbol: 'NOFEED', limit: 5 }))).message).toBe(
      'Alpha Vantage NEWS_SENTIMENT returned a malformed response: no "feed" array',
    );
  });

  it('parses its timestamps', () => {
    expect(parseAlphaVantageTime('20240110T1430')).toBe('2024-01-10T14:30:00');
    expect(parseAlphaVantageTime('yesterday')).toBeUndefined();
  });
});

describe('Open-Meteo weather', () => {
  it('geocodes, then reads the current conditions', async () => {
    const report = await weatherProvider().getCurrent('Berlin');
    expect(report).toEqual({
      location: 'Berlin',
      country: 'Germany',
      latitude: 52.52437,
      longitude: 13.41053,
      temperatureC: 3.4,
      relativeHumidity: 81,
      windSpeedKmh: 12.6,
      weatherCode: 61,
      conditions: 'Slight rain',
      asOf: '2025-01-10T14:15:00.000Z',
      source: 'open-meteo',
      sourceNote: expect.any(String),
    });
    expect(requests.map((url) => url.pathname)).toEqual(['/geo/v1/search', '/forecast/v1/forecast']);
    expect(Object.fromEntries(requests[0]!.searchParams)).toMatchObject({ name: 'Berlin', count: '1' });
    expect(Object.fromEntries(requests[1]!.searchParams)).toEqual({
      latitude: '52.52437',
      longitude: '13.41053',
      current: 'temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code',
    });
  });

  it('uses a country or region after a comma to choose among places of that name', async () => {
    expect(await weatherProvider().getCurrent('Paris, United States')).toMatchObject({ country: 'United States', latitude: 33.66094 });
    expect(Object.fromEntries(requests[0]!.searchParams)).toMatchObject({ name: 'Paris', count: '10' });
    expect(await weatherProvider().getCurrent('Paris, fr')).toMatchObject({ country: 'France' });
    expect(await weatherProvider().getCurrent('Paris')).toMatchObject({ country: 'France' });
  });

  it('answers undefined when the geocoder finds nothing', async () => {
    expect(await weatherProvider().getCurrent('Atlantis')).toBeUndefined();
    expect(requests).toHaveLength(1);
  });

  it('quotes the reason of an Open-Meteo error body, and reports a 500', async () => {
    expect((await failure(weatherProvider().getCurrent('Errorville'))).message).toBe(
      'Open-Meteo forecast request failed with HTTP 400 Bad Request: Cannot initialize WeatherVariable from invalid String value tempeture_2m for key current',
    );
    expect((await failure(weatherProvider().getCurrent('Crashtown'))).message).toBe(
      'Open-Meteo geocoding request failed with HTTP 500 Internal Server Error: geocoder exploded',
    );
  });

  it('converts local forecast times to UTC instants', () => {
    expect(openMeteoTimeToIso('2025-01-10T14:15', 3600)).toBe('2025-01-10T13:15:00.000Z');
    expect(openMeteoTimeToIso('bad', 0)).toBeUndefined();
  });
});

describe('handlers over the HTTP providers', () => {
  it('carry the upstream answer and its source through, and map unknown symbols to input errors', async () => {
    const providers = {
      stocks: createAlphaVantageStockProvider(alphaVantageOptions()),
      news: createAlphaVantageNewsProvider(alphaVantageOptions()),
      weather: weatherProvider(),
    } satisfies Providers;
    const ctx = (name: string): HandlerContext => ({ serverId: 't', toolName: name, config: {}, signal: new AbortController().signal, providers });
    const run = (name: string, args: unknown) => handlers.get(name)!.run(v.parse(handlers.get(name)!.input, args), ctx(name));

    expect(await run('get_stock_price', { symbol: 'ibm' })).toMatchObject({ symbol: 'IBM', price: 220.5, source: 'alphavantage', asOf: '2025-01-10' });
    const portfolio = await run('calculate_portfolio', { positions: [{ symbol: 'IBM', quantity: 2, costBasis: 400 }] });
    expect(portfolio).toMatchObject({ totalValue: 441, totalGainLoss: 41, warnings: [] });
    expect(await run('get_financial_news', { symbol: 'IBM', limit: 1 })).toMatchObject({ count: 1, source: 'alphavantage' });
    expect(await run('get_weather', { location: 'Berlin' })).toMatchObject({ source: 'open-meteo', asOf: '2025-01-10T14:15:00.000Z' });

    await expect(run('get_stock_price', { symbol: 'ZZZZ' })).rejects.toBeInstanceOf(ToolInputError);
    await expect(run('get_weather', { location: 'Atlantis' })).rejects.toBeInstanceOf(ToolInputError);
    // An upstream failure is a plain Error (the call layer reports it as a handler failure), not an input error.
    const error = await failure(run('get_stock_price', { symbol: 'THROTTLE' }));
    expect(error).not.toBeInstanceOf(ToolInputError);
  });
});
