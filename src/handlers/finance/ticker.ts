import * as v from 'valibot';

/**
 * A ticker symbol as the finance handlers accept it: letters, digits, "." and
 * "-" (BRK.B, RDS-A, TSCO.LON). A plain pattern rather than a transform, so the
 * derived JSON Schema says the same thing; handlers upper-case it themselves.
 */
export const TICKER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,19}$/;

export function tickerSchema(description: string) {
  return v.pipe(v.string(), v.regex(TICKER_PATTERN, 'must be a ticker symbol such as AAPL or BRK.B'), v.description(description));
}

export function normalizeTicker(symbol: string): string {
  return symbol.trim().toUpperCase();
}
