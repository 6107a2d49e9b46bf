import * as v from 'valibot';
import { defineHandler, ToolInputError } from '../define.ts';
import { normalizeTicker, tickerSchema } from './ticker.ts';

const nullableNumber = (description: string) => v.pipe(v.nullable(v.number()), v.description(description));

export const StockQuoteOutput = v.object({
  symbol: v.pipe(v.string(), v.description('The ticker, upper-case.')),
  companyName: v.pipe(v.nullable(v.string()), v.description('Company name, when the source reports it.')),
  currency: v.pipe(v.nullable(v.string()), v.description('ISO 4217 currency of the price, when the source reports it.')),
  price: v.pipe(v.number(), v.description('Last price (a closing price for the offline sample).')),
  previousClose: nullableNumber("Previous trading day's close, when known."),
  change: nullableNumber('price − previousClose, when the previous close is known.'),
  changePercent: nullableNumber('change as a percentage of previousClose (1.5 means +1.5 %), when known.'),
  asOf: v.pipe(v.string(), v.description('The trading day (YYYY-MM-DD) the price refers to.')),
  source: v.pipe(v.string(), v.description('Which provider answered: "alphavantage", or "offline sample snapshot (as of DATE)" for bundled sample data.')),
  sourceNote: v.pipe(v.nullable(v.string()), v.description('How to read the source (e.g. that sample data is not live).')),
});

export const getStockPrice = defineHandler({
  name: 'get_stock_price',
  title: 'Get stock price',
  description:
    'Look up the latest available quote for one stock ticker (e.g. AAPL, MSFT, BRK.B): price, previous close, ' +
    'change and percent change, the trading day the price refers to (asOf) and where it came from (source). ' +
    'Depending on server configuration the quote comes from Alpha Vantage (may be delayed) or from a bundled offline ' +
    'sample snapshot of about ten large US stocks (AAPL, MSFT, GOOGL, AMZN, NVDA, META, TSLA, JPM, V, BRK.B) that is ' +
    'NOT live data — always check `source` and `asOf` before calling a price current. An unknown ticker is an error.',
  input: v.object({
    symbol: tickerSchema('Ticker symbol, e.g. "AAPL", "MSFT" or "BRK.B" (case-insensitive).'),
  }),
  output: StockQuoteOutput,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  async run({ symbol }, ctx) {
    const ticker = normalizeTicker(symbol);
    const quote = await ctx.providers.stocks.getQuote(ticker, { signal: ctx.signal });
    if (!quote) {
      throw new ToolInputError(`unknown symbol "${ticker}": the stock provider (${ctx.providers.stocks.name}) has no quote for it`, '/symbol');
    }
    return { ...quote };
  },
});
