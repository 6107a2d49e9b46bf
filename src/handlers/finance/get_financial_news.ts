import * as v from 'valibot';
import { defineHandler } from '../define.ts';
import { normalizeTicker, tickerSchema } from './ticker.ts';

const Article = v.object({
  title: v.string(),
  summary: v.string(),
  url: v.pipe(v.nullable(v.string()), v.description('Link to the article; null when the source has none.')),
  publisher: v.string(),
  publishedAt: v.pipe(v.string(), v.description('ISO 8601 publication time.')),
  symbols: v.pipe(v.array(v.string()), v.description('Tickers the article is tagged with.')),
});

const Output = v.object({
  symbol: v.pipe(v.nullable(v.string()), v.description('The ticker asked for; null for general market news.')),
  count: v.number(),
  articles: v.array(Article),
  source: v.pipe(v.string(), v.description('Which provider answered: "alphavantage", or "offline sample snapshot (as of DATE)" for bundled sample data.')),
  sourceNote: v.nullable(v.string()),
});

export const getFinancialNews = defineHandler({
  name: 'get_financial_news',
  title: 'Get financial news',
  description:
    'List recent financial news articles, newest first: for one stock ticker (e.g. "NVDA") or, without a symbol, ' +
    'general market news. Each article has a title, summary, publisher, publication time, link (when known) and the ' +
    'tickers it is tagged with. Depending on server configuration, articles come from Alpha Vantage NEWS_SENTIMENT ' +
    'or from a bundled offline sample of past public events (not a live feed) — check `source`. ' +
    'An empty list means the source has no articles for that ticker.',
  input: v.object({
    symbol: v.optional(tickerSchema('Ticker symbol to get news about, e.g. "AAPL". Omit for general market news.')),
    limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(50), v.description('Maximum number of articles (1–50).')), 5),
  }),
  output: Output,
  annotations: { readOnlyHint: true, openWorldHint: true },
  async run(input, ctx) {
    const symbol = input.symbol === undefined ? undefined : normalizeTicker(input.symbol);
    const result = await ctx.providers.news.getNews({ symbol, limit: input.limit }, { signal: ctx.signal });
    return {
      symbol: symbol ?? null,
      count: result.articles.length,
      articles: result.articles,
      source: result.source,
      sourceNote: result.sourceNote,
    };
  },
});
