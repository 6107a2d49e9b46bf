/**
 * The one definition of every table. `npm run db:generate` turns changes here
 * into SQL under migrations/ (drizzle-kit); hand-written SQL (triggers) lives
 * there too, as its own migration.
 */
import { sql } from 'drizzle-orm';
import { bigserial, boolean, date, doublePrecision, integer, jsonb, pgTable, serial, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const servers = pgTable('servers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  port: integer('port').unique(),
  enabled: boolean('enabled').notNull().default(true),
  ...timestamps,
});

export const tools = pgTable(
  'tools',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    serverId: text('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade', onUpdate: 'cascade' }),
    name: text('name').notNull(),
    title: text('title'),
    description: text('description').notNull(),
    inputSchema: jsonb('input_schema').notNull(),
    outputSchema: jsonb('output_schema'),
    handler: text('handler').notNull(),
    handlerConfig: jsonb('handler_config').notNull().default(sql`'{}'::jsonb`),
    annotations: jsonb('annotations').notNull().default(sql`'{}'::jsonb`),
    enabled: boolean('enabled').notNull().default(true),
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (table) => [unique('tools_server_id_name_unique').on(table.serverId, table.name)],
);

/**
 * Offline data for the handlers that otherwise need an outside API. Seeded
 * from seeds/sample-data.json, a labelled sample snapshot; every row carries
 * its source and as-of date so results can say where they came from.
 */
export const sampleStockQuotes = pgTable('sample_stock_quotes', {
  symbol: text('symbol').primaryKey(),
  companyName: text('company_name').notNull(),
  currency: text('currency').notNull(),
  price: doublePrecision('price').notNull(),
  previousClose: doublePrecision('previous_close'),
  asOf: date('as_of').notNull(),
  source: text('source').notNull(),
});

export const sampleFinancialNews = pgTable('sample_financial_news', {
  id: serial('id').primaryKey(),
  symbol: text('symbol'),
  headline: text('headline').notNull(),
  summary: text('summary').notNull(),
  url: text('url'),
  publisher: text('publisher').notNull(),
  publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
  source: text('source').notNull(),
});

export const sampleWeather = pgTable('sample_weather', {
  location: text('location').primaryKey(),
  latitude: doublePrecision('latitude').notNull(),
  longitude: doublePrecision('longitude').notNull(),
  temperatureC: doublePrecision('temperature_c').notNull(),
  relativeHumidity: doublePrecision('relative_humidity'),
  windSpeedKmh: doublePrecision('wind_speed_kmh'),
  weatherCode: integer('weather_code'),
  conditions: text('conditions').notNull(),
  asOf: date('as_of').notNull(),
  source: text('source').notNull(),
});

export type ServerRow = typeof servers.$inferSelect;
export type ToolRow = typeof tools.$inferSelect;
export type NewToolRow = typeof tools.$inferInsert;

/**
 * The change feed: one row per insert/update/delete of `servers` or `tools`,
 * written by triggers (so SQL edits in psql are recorded too) and announced
 * with NOTIFY toolport_registry_changes. Processes catch up by id; old rows are pruned.
 */
export const registryChanges = pgTable('registry_changes', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  tableName: text('table_name').notNull(),
  serverId: text('server_id').notNull(),
  name: text('name'),
  operation: text('operation').notNull(),
  /** Who made the change: the write service's actor (`admin-token`, `local`, `seed` …), or `sql:<role>` for an edit made directly in SQL. */
  actor: text('actor'),
  changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
});

export type RegistryChangeRow = typeof registryChanges.$inferSelect;
