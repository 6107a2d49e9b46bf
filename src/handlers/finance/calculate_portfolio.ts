import * as v from 'valibot';
import type { StockQuote } from '../../providers/index.ts';
import { defineHandler, ToolInputError } from '../define.ts';
import { normalizeTicker, tickerSchema } from './ticker.ts';

/**
 * Portfolio valuation. Numbers are never rounded: value = quantity × price
 * exactly as floating point gives it, weights = value / total (they sum to 1
 * up to floating-point error), so a caller can round once, for display.
 */

const nonNegative = (description: string) => v.pipe(v.number(), v.minValue(0), v.description(description));

const PositionInput = v.strictObject({
  symbol: tickerSchema('Ticker symbol of the holding, e.g. "AAPL" (case-insensitive).'),
  quantity: v.pipe(v.number(), v.gtValue(0), v.description('Number of shares or units held (> 0; fractions allowed).')),
  price: v.optional(
    nonNegative('Price per share to value this position at. When omitted, the price comes from "prices" or, failing that, from the stock quote provider.'),
  ),
  costBasis: v.optional(nonNegative('TOTAL amount paid for the whole position (not per share), in the price currency. When given, gain/loss is reported.')),
});

const Input = v.object({
  positions: v.pipe(
    v.array(PositionInput),
    v.minLength(1, 'must list at least one position'),
    v.maxLength(200, 'must list at most 200 positions'),
    v.description('The holdings. The same symbol may appear more than once (e.g. separate lots).'),
  ),
  prices: v.optional(
    v.pipe(
      v.record(v.string(), v.pipe(v.number(), v.minValue(0))),
      v.description('Optional price per symbol, e.g. {"AAPL": 190.5}, for positions without their own "price".'),
    ),
  ),
});

type PriceSource = 'position' | 'prices' | 'provider';

const QUOTE_CONCURRENCY = 4;

const PositionOutput = v.object({
  symbol: v.string(),
  quantity: v.number(),
  price: v.number(),
  priceSource: v.pipe(
    v.picklist(['position', 'prices', 'provider']),
    v.description('"position": the position\'s own price; "prices": the prices map; "provider": the stock quote provider.'),
  ),
  priceSourceDetail: v.pipe(v.nullable(v.string()), v.description("For provider prices: the provider's source label.")),
  priceAsOf: v.pipe(v.nullable(v.string()), v.description('For provider prices: the trading day the price refers to.')),
  currency: v.pipe(v.nullable(v.string()), v.description('Currency of the price when the provider reports it.')),
  value: v.pipe(v.number(), v.description('quantity × price.')),
  weight: v.pipe(v.nullable(v.number()), v.description('value / totalValue, a fraction (0.25 = 25 %); null when the total is 0.')),
  costBasis: v.nullable(v.number()),
  gainLoss: v.pipe(v.nullable(v.number()), v.description('value − costBasis; null without a cost basis.')),
  gainLossPercent: v.pipe(v.nullable(v.number()), v.description('gainLoss / costBasis × 100 (12.5 = +12.5 %); null without a positive cost basis.')),
});

const Output = v.object({
  positions: v.array(PositionOutput),
  totalValue: v.number(),
  totalCostBasis: v.pipe(v.nullable(v.number()), v.description('Sum of the cost bases given; null when none was.')),
  totalGainLoss: v.pipe(v.nullable(v.number()), v.description('Sum of gainLoss over the positions that have a cost basis; null when none has.')),
  totalGainLossPercent: v.pipe(v.nullable(v.number()), v.description('totalGainLoss / totalCostBasis × 100; null when not computable.')),
  positionsWithCostBasis: v.number(),
  currencies: v.pipe(v.array(v.string()), v.description('Currencies reported by the provider for the priced positions.')),
  warnings: v.array(v.string()),
});

export type PortfolioInput = v.InferOutput<typeof Input>;
export type PortfolioResult = v.InferOutput<typeof Output>;

export interface PricedPosition {
  symbol: string;
  quantity: number;
  price: number;
  priceSource: PriceSource;
  quote?: StockQuote;
  costBasis?: number | undefined;
}

/** The pure arithmetic, given a price for every position. */
export function valuePortfolio(priced: readonly PricedPosition[]): PortfolioResult {
  const values = priced.map((position) => position.quantity * position.price);
  const totalValue = values.reduce((sum, value) => sum + value, 0);
  const currencies = new Set<string>();

  const positions = priced.map((position, index) => {
    const value = values[index]!;
    const costBasis = position.costBasis ?? null;
    const gainLoss = costBasis === null ? null : value - costBasis;
    const currency = position.quote?.currency ?? null;
    if (currency) currencies.add(currency);
    return {
      symbol: position.symbol,
      quantity: position.quantity,
      price: position.price,
      priceSource: position.priceSource,
      priceSourceDetail: position.quote?.source ?? null,
      priceAsOf: position.quote?.asOf ?? null,
      currency,
      value,
      weight: totalValue === 0 ? null : value / totalValue,
      costBasis,
      gainLoss,
      gainLossPercent: gainLoss === null || !costBasis ? null : (gainLoss / costBasis) * 100,
    };
  });

  const withCostBasis = positions.filter((position) => position.costBasis !== null);
  const positionsWithCostBasis = withCostBasis.length;
  const totalCostBasis = positionsWithCostBasis ? withCostBasis.reduce((sum, position) => sum + position.costBasis!, 0) : null;
  const totalGainLoss = positionsWithCostBasis ? withCostBasis.reduce((sum, position) => sum + position.gainLoss!, 0) : null;

  const warnings: string[] = [];
  if (currencies.size > 1) {
    warnings.push(`prices are in more than one currency (${[...currencies].join(', ')}); totals add them without conversion`);
  }
  if (positionsWithCostBasis > 0 && positionsWithCostBasis < positions.length) {
    warnings.push(`only ${positionsWithCostBasis} of ${positions.length} positions have a cost basis; total gain/loss covers those positions only`);
  }
  const providerSources = new Set(positions.flatMap((position) => (position.priceSourceDetail ? [position.priceSourceDetail] : [])));
  for (const source of providerSources) {
    if (source.startsWith('offline sample')) warnings.push(`some prices come from the ${source}, not live market data`);
  }
  return {
    positions,
    totalValue,
    totalCostBasis,
    totalGainLoss,
    totalGainLossPercent: totalGainLoss === null || !totalCostBasis ? null : (totalGainLoss / totalCostBasis) * 100,
    positionsWithCostBasis,
    currencies: [...currencies],
    warnings,
  };
}

export const calculatePortfolio = defineHandler({
  name: 'calculate_portfolio',
  title: 'Calculate portfolio value',
  description:
    'Value a stock portfolio: for each position, value = quantity × price and its weight in the total; with a cost basis ' +
    '(the TOTAL paid for the position, not per share) also the gain/loss in money and percent, plus portfolio totals. ' +
    'Each position is priced from its own "price", else from the "prices" map, else from the stock quote provider ' +
    '(live Alpha Vantage or a bundled offline sample snapshot, depending on configuration); the result says which ' +
    '(priceSource, priceSourceDetail, priceAsOf). Numbers are not rounded; weights are fractions that sum to 1, ' +
    'gain/loss percentages are percents. A symbol with no given price that the provider does not know is an error.',
  input: Input,
  output: Output,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  async run(input, ctx) {
    const prices = new Map(Object.entries(input.prices ?? {}).map(([symbol, price]) => [normalizeTicker(symbol), price]));
    const needed = new Set<string>();
    for (const position of input.positions) {
      const symbol = normalizeTicker(position.symbol);
      if (position.price === undefined && !prices.has(symbol)) needed.add(symbol);
    }
    // A few lookups at a time: upstream APIs throttle bursts (Alpha Vantage's free tier allows 5 calls a minute).
    const quotes = new Map<string, StockQuote | undefined>();
    const queue = [...needed];
    const worker = async () => {
      for (let symbol = queue.shift(); symbol !== undefined; symbol = queue.shift()) {
        quotes.set(symbol, await ctx.providers.stocks.getQuote(symbol, { signal: ctx.signal }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(QUOTE_CONCURRENCY, queue.length) }, worker));

    const priced = input.positions.map((position, index): PricedPosition => {
      const symbol = normalizeTicker(position.symbol);
      const base = { symbol, quantity: position.quantity, costBasis: position.costBasis };
      if (position.price !== undefined) return { ...base, price: position.price, priceSource: 'position' };
      const listed = prices.get(symbol);
      if (listed !== undefined) return { ...base, price: listed, priceSource: 'prices' };
      const quote = quotes.get(symbol);
      if (!quote) {
        throw new ToolInputError(
          `unknown symbol "${symbol}" at position ${index}: no price was given and the stock provider ` +
            `(${ctx.providers.stocks.name}) has no quote for it; pass "price" for this position`,
          `/positions/${index}/symbol`,
        );
      }
      return { ...base, price: quote.price, priceSource: 'provider', quote };
    });
    return valuePortfolio(priced);
  },
});
