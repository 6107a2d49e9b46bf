import type { Handler } from './define.ts';
import { calculatePortfolio } from './finance/calculate_portfolio.ts';
import { getFinancialNews } from './finance/get_financial_news.ts';
import { getStockPrice } from './finance/get_stock_price.ts';
import { calculateStatsHandler } from './management/calculate_stats.ts';
import { dataProcessor } from './utility/data_processor.ts';
import { getTime } from './utility/get_time.ts';
import { getWeather } from './utility/get_weather.ts';
import { textAnalyzer } from './utility/text_analyzer.ts';

/**
 * The only wiring point: a handler exists for the registry (tools.handler)
 * exactly when it is listed here.
 */
const ALL: readonly Handler[] = [getStockPrice, calculatePortfolio, getFinancialNews, getWeather, getTime, dataProcessor, textAnalyzer, calculateStatsHandler];

function byName(list: readonly Handler[]): ReadonlyMap<string, Handler> {
  const map = new Map<string, Handler>();
  for (const handler of list) {
    if (map.has(handler.name)) throw new Error(`two handlers are named "${handler.name}"`);
    map.set(handler.name, handler);
  }
  return map;
}

export const handlers: ReadonlyMap<string, Handler> = byName(ALL);

/** Handler keys in a stable (alphabetical) order. */
export function handlerKeys(): string[] {
  return [...handlers.keys()].sort();
}
