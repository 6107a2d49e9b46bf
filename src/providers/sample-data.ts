import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import * as v from 'valibot';
import type { Db } from '../db/client.ts';
import { sampleFinancialNews, sampleStockQuotes, sampleWeather } from '../db/schema.ts';
import { fromProjectRoot } from '../shared/project-root.ts';
import { issuesToDetails } from '../shared/validation.ts';

/**
 * The offline data behind the stock, news and weather providers: a labelled
 * sample snapshot in seeds/sample-data.json, copied into the sample_* tables.
 * Every row's `source` says it is the sample and gives its as-of date, so a
 * result read from these tables can never pass for live data.
 */

export const SAMPLE_DATA_PATH = fromProjectRoot('seeds', 'sample-data.json');

/** The `source` stored with (and reported for) every sample row. */
export function sampleSourceLabel(asOf: string): string {
  return `offline sample snapshot (as of ${asOf})`;
}

const isoDate = v.pipe(v.string(), v.isoDate('must be a date (YYYY-MM-DD)'));
const text = v.pipe(v.string(), v.minLength(1, 'must not be empty'));

const SampleDataSchema = v.object({
  label: text,
  asOf: isoDate,
  notes: v.optional(v.record(v.string(), v.string())),
  stockQuotes: v.array(
    v.object({
      symbol: v.pipe(v.string(), v.regex(/^[A-Z0-9][A-Z0-9.-]*$/, 'must be an upper-case ticker')),
      companyName: text,
      currency: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')),
      price: v.pipe(v.number(), v.minValue(0)),
      previousClose: v.nullable(v.pipe(v.number(), v.minValue(0))),
      asOf: v.optional(isoDate),
    }),
  ),
  financialNews: v.array(
    v.object({
      symbol: v.nullable(text),
      headline: text,
      summary: text,
      url: v.nullable(v.pipe(v.string(), v.url())),
      publisher: text,
      publishedAt: v.pipe(v.string(), v.isoTimestamp('must be an ISO timestamp')),
    }),
  ),
  weather: v.array(
    v.object({
      location: text,
      latitude: v.pipe(v.number(), v.minValue(-90), v.maxValue(90)),
      longitude: v.pipe(v.number(), v.minValue(-180), v.maxValue(180)),
      temperatureC: v.number(),
      relativeHumidity: v.nullable(v.pipe(v.number(), v.minValue(0), v.maxValue(100))),
      windSpeedKmh: v.nullable(v.pipe(v.number(), v.minValue(0))),
      weatherCode: v.nullable(v.pipe(v.number(), v.integer())),
      conditions: text,
      asOf: v.optional(isoDate),
    }),
  ),
});

export type SampleData = v.InferOutput<typeof SampleDataSchema>;

/** Read and check the sample file; a broken file fails loudly with the field path. */
export function loadSampleData(path: string = SAMPLE_DATA_PATH): SampleData {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const result = v.safeParse(SampleDataSchema, raw);
  if (!result.success) {
    const first = issuesToDetails(result.issues)[0]!;
    throw new Error(`Invalid sample data in ${path}: ${first.path} ${first.message}`);
  }
  return result.output;
}

/** Any constant: it only has to be the same for every process seeding the same database. */
const SEED_LOCK_KEY = 7_471_530_202;

/**
 * Copy the sample into the sample_* tables. Idempotent: quotes and weather
 * rows are keyed by symbol / location (ON CONFLICT DO NOTHING), news items by
 * (headline, published_at); existing rows are never changed. Runs in one
 * transaction under an advisory lock so concurrent starts cannot duplicate news.
 */
export async function seedSampleData(db: Db, data: SampleData = loadSampleData()): Promise<{ inserted: number }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK_KEY})`);
    let inserted = 0;

    if (data.stockQuotes.length > 0) {
      const rows = await tx
        .insert(sampleStockQuotes)
        .values(
          data.stockQuotes.map((quote) => {
            const asOf = quote.asOf ?? data.asOf;
            return {
              symbol: quote.symbol,
              companyName: quote.companyName,
              currency: quote.currency,
              price: quote.price,
              previousClose: quote.previousClose,
              asOf,
              source: sampleSourceLabel(asOf),
            };
          }),
        )
        .onConflictDoNothing()
        .returning({ symbol: sampleStockQuotes.symbol });
      inserted += rows.length;
    }

    if (data.weather.length > 0) {
      const rows = await tx
        .insert(sampleWeather)
        .values(
          data.weather.map((row) => {
            const asOf = row.asOf ?? data.asOf;
            return { ...row, asOf, source: sampleSourceLabel(asOf) };
          }),
        )
        .onConflictDoNothing()
        .returning({ location: sampleWeather.location });
      inserted += rows.length;
    }

    const existing = await tx.select({ headline: sampleFinancialNews.headline, publishedAt: sampleFinancialNews.publishedAt }).from(sampleFinancialNews);
    const seen = new Set(existing.map((row) => `${row.headline}\u0000${row.publishedAt.getTime()}`));
    const news = data.financialNews
      .map((item) => ({ ...item, publishedAt: new Date(item.publishedAt) }))
      .filter((item) => !seen.has(`${item.headline}\u0000${item.publishedAt.getTime()}`));
    if (news.length > 0) {
      const rows = await tx
        .insert(sampleFinancialNews)
        .values(news.map((item) => ({ ...item, source: sampleSourceLabel(data.asOf) })))
        .returning({ id: sampleFinancialNews.id });
      inserted += rows.length;
    }

    return { inserted };
  });
}
