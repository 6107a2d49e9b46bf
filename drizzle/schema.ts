/**
 * The one definition of every table. `npm run db:generate` turns changes here
 * into SQL under migrations/ (drizzle-kit); hand-written SQL (triggers) lives
 * there too, as its own migration.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  serial,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/** The rate-limit text (src/auth/rate-spec.ts RATE_SPEC_PATTERN, repeated: drizzle/ imports nothing of src/): `600/min`, `10/s`, `5000/hour`. */
const RATE_LIMIT_SYNTAX = '^[1-9][0-9]{0,8}/([1-9][0-9]{0,3})?(s|sec|second|seconds|m|min|minute|minutes|h|hr|hour|hours|d|day|days)$';

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const servers = pgTable(
  'servers',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    port: integer('port').unique(),
    enabled: boolean('enabled').notNull().default(true),
    /** Requests per period for all calls of this server's tools together, across replicas (`600/min`); null = none (migration 0009). */
    rateLimit: text('rate_limit'),
    /** OAuth settings (src/auth/oauth/settings.ts: issuer, audience, jwksUrl, scopes, requiredScopes, acceptKeys); null = no OAuth (migration 0010). */
    auth: jsonb('auth'),
    /** Prefix of its tools on the gateway /mcp (`<prefix>_<tool>`); null = the id (migration 0011). */
    toolPrefix: text('tool_prefix'),
    /** Whether its tools are part of the gateway's main endpoint (migration 0011). */
    compose: boolean('compose').notNull().default(true),
    /** Bumped by trigger on every update: the ETag of /servers/:id (migration 0011). */
    version: integer('version').notNull().default(1),
    ...timestamps,
  },
  (table) => [
    check('servers_tool_prefix_syntax', sql`${table.toolPrefix} IS NULL OR ${table.toolPrefix} ~ '^[A-Za-z0-9_-]{1,64}$'`),
    check('servers_rate_limit_syntax', sql`${table.rateLimit} IS NULL OR ${table.rateLimit} ~ '${sql.raw(RATE_LIMIT_SYNTAX)}'`),
    check('servers_auth_object', sql`${table.auth} IS NULL OR jsonb_typeof(${table.auth}) = 'object'`),
  ],
);

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
    /** Requests per period for all calls of this tool together, across replicas (`600/min`); null = none (migration 0009). */
    rateLimit: text('rate_limit'),
    ...timestamps,
  },
  (table) => [
    unique('tools_server_id_name_unique').on(table.serverId, table.name),
    check('tools_rate_limit_syntax', sql`${table.rateLimit} IS NULL OR ${table.rateLimit} ~ '${sql.raw(RATE_LIMIT_SYNTAX)}'`),
  ],
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

/**
 * Every version of every tool (migration 0012), written by trigger on each
 * insert, update and delete of `tools` — REST, registry apply and SQL edits
 * alike. `definition` is the tool as it was (the POST /tools body's fields,
 * `config` with secrets still as references, plus rateLimit). No foreign key:
 * a deleted tool keeps its history; a deletion is a version of its own.
 */
export const toolRevisions = pgTable(
  'tool_revisions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    toolId: uuid('tool_id').notNull(),
    serverId: text('server_id').notNull(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    definition: jsonb('definition').notNull(),
    /** create, update, delete, or what the write service named (rollback). */
    operation: text('operation').notNull(),
    /** As in registry_changes: the write service's actor, or `sql:<role>`. */
    actor: text('actor').notNull(),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [unique('tool_revisions_server_name_version_unique').on(table.serverId, table.name, table.version)],
);

export type ToolRevisionRow = typeof toolRevisions.$inferSelect;

/**
 * Databases that `sql` tools and the database tool pack run statements on.
 * The connection URL is only ever a secret reference (`${secret:NAME}` →
 * TOOLPORT_SECRET_NAME, resolved when a pool opens), never a value; the
 * built-in `samples` source has none (it is Toolport's own database, through
 * a role that may only read the sample tables). Changes are logged in
 * registry_changes (table_name 'data_sources') and NOTIFYed like tool changes.
 */
export const dataSources = pgTable(
  'data_sources',
  {
    id: text('id').primaryKey(),
    description: text('description').notNull().default(''),
    kind: text('kind').notNull().default('postgres'),
    url: text('url'),
    access: text('access').notNull().default('read_only'),
    poolSize: integer('pool_size').notNull().default(5),
    statementTimeoutMs: integer('statement_timeout_ms').notNull().default(5000),
    rowLimit: integer('row_limit').notNull().default(1000),
    enabled: boolean('enabled').notNull().default(true),
    ...timestamps,
  },
  (table) => [
    check('data_sources_id_rule', sql`${table.id} ~ '^[a-z0-9][a-z0-9_-]{0,63}$'`),
    check('data_sources_kind_postgres', sql`${table.kind} = 'postgres'`),
    check('data_sources_url_secret_reference', sql`${table.url} IS NULL OR ${table.url} ~ '^[$][{]secret:[A-Za-z_][A-Za-z0-9_]{0,127}[}]$'`),
    check('data_sources_url_only_samples_null', sql`(${table.url} IS NULL) = (${table.id} = 'samples')`),
    check('data_sources_samples_read_only', sql`${table.id} <> 'samples' OR ${table.access} = 'read_only'`),
    check('data_sources_access', sql`${table.access} IN ('read_only', 'read_write')`),
    check('data_sources_pool_size', sql`${table.poolSize} BETWEEN 1 AND 100`),
    check('data_sources_statement_timeout_ms', sql`${table.statementTimeoutMs} BETWEEN 1 AND 3600000`),
    check('data_sources_row_limit', sql`${table.rowLimit} BETWEEN 1 AND 100000`),
  ],
);

export type DataSourceRow = typeof dataSources.$inferSelect;

/**
 * API keys (`tp_<prefix>_<secret>`): the public prefix and a SHA-256 of the
 * secret, never the secret (migrations/0007_api_keys.sql says why a fast hash
 * suffices). Scopes are the text form (`finance:call`, `*:list:get_*`,
 * `admin`); changes other than last_used_at are logged in registry_changes
 * (table_name 'api_keys', name = prefix) and NOTIFYed, so every process's key
 * ring learns of a revocation.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull().unique(),
    secretHash: text('secret_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    rateLimit: text('rate_limit'),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  },
  (table) => [
    check('api_keys_name_rule', sql`length(${table.name}) BETWEEN 1 AND 128`),
    check('api_keys_prefix_rule', sql`${table.prefix} ~ '^[a-z2-7]{8}$'`),
    check('api_keys_secret_hash_sha256', sql`${table.secretHash} ~ '^[0-9a-f]{64}$'`),
    check('api_keys_scopes_not_empty', sql`cardinality(${table.scopes}) > 0`),
    check('api_keys_rate_limit_rule', sql`${table.rateLimit} IS NULL OR ${table.rateLimit} ~ '${sql.raw(RATE_LIMIT_SYNTAX)}'`),
  ],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/**
 * The audit log: tool calls and registry writes (queued by each process and
 * written in batches, src/observability/audit-queue.ts), plus edits of `tools`
 * made directly in SQL (trigger in migrations/0008_audit_log.sql, actor
 * `sql:<role>`). Arguments are kept as a SHA-256 digest of their canonical
 * JSON; in full only with TOOLPORT_AUDIT_ARGUMENTS=1.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    requestId: text('request_id'),
    actor: text('actor').notNull(),
    actorName: text('actor_name'),
    serverId: text('server_id'),
    tool: text('tool'),
    action: text('action').notNull(),
    outcome: text('outcome').notNull(),
    durationMs: real('duration_ms'),
    versionBefore: integer('version_before'),
    versionAfter: integer('version_after'),
    argumentsDigest: text('arguments_digest'),
    arguments: jsonb('arguments'),
    details: jsonb('details'),
  },
  (table) => [
    index('audit_log_server_id_at_index').on(table.serverId, table.at),
    index('audit_log_actor_at_index').on(table.actor, table.at),
    index('audit_log_at_index').on(table.at),
    check('audit_log_arguments_digest_sha256', sql`${table.argumentsDigest} IS NULL OR ${table.argumentsDigest} ~ '^[0-9a-f]{64}$'`),
  ],
);

export type AuditLogRow = typeof auditLog.$inferSelect;

/**
 * Rate limits shared by replicas (migration 0009): one token bucket per
 * `key:<id>`, `server:<id>` or `tool:<server>/<name>`. Processes lease tokens
 * in chunks (refill from now() - updated_at, then grant) and give unused ones
 * back; a missing row is a full bucket. See src/db/rate-limit-store.ts.
 */
export const rateLimitBuckets = pgTable(
  'rate_limit_buckets',
  {
    key: text('key').primaryKey(),
    capacity: integer('capacity').notNull(),
    refillPerMs: doublePrecision('refill_per_ms').notNull(),
    tokens: doublePrecision('tokens').notNull(),
    lastGranted: doublePrecision('last_granted').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('rate_limit_buckets_capacity', sql`${table.capacity} > 0`),
    check('rate_limit_buckets_refill_per_ms', sql`${table.refillPerMs} > 0`),
    check('rate_limit_buckets_tokens', sql`${table.tokens} >= 0 AND ${table.tokens} <= ${table.capacity}`),
  ],
);

export type RateLimitBucketRow = typeof rateLimitBuckets.$inferSelect;

/**
 * 2025-era MCP sessions (migration 0013): written once at `initialize`, so a
 * session opened on one process is accepted by every process on the same
 * database (no sticky routing). Each process keeps the sessions it serves in
 * memory and writes last_seen_at back in batches; a DELETE (the client's, an
 * idle sweep's, or one in psql) reaches every process through the change log.
 */
export const mcpSessions = pgTable(
  'mcp_sessions',
  {
    id: text('id').primaryKey(),
    /** The server whose /mcp opened it (the gateway's management endpoint: its own id). */
    serverId: text('server_id').notNull(),
    /** Who opened it: only the same caller may use it. */
    actor: text('actor').notNull(),
    /** The protocol version the server negotiated. */
    protocolVersion: text('protocol_version').notNull(),
    clientInfo: jsonb('client_info').notNull(),
    clientCapabilities: jsonb('client_capabilities').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('mcp_sessions_last_seen_at').on(table.lastSeenAt)],
);

export type McpSessionRow = typeof mcpSessions.$inferSelect;

/**
 * Other MCP servers whose tools a server carries (migration 0014): their
 * tools are synced into `tools` as rows of handler kind `mcp-proxy`, named
 * `<prefix>_<tool>`. Upstreams of one server with the same prefix form a
 * failover group. Credentials only as `${secret:NAME}` references.
 */
export const upstreams = pgTable(
  'upstreams',
  {
    id: text('id').primaryKey(),
    /** The server its tools are synced into; deleting the server deletes its upstreams (migration 0016). */
    serverId: text('server_id')
      .notNull()
      .references(() => servers.id, { onDelete: 'cascade' }),
    description: text('description').notNull().default(''),
    transport: text('transport').notNull(),
    url: text('url'),
    headers: jsonb('headers').notNull().default({}),
    command: text('command'),
    args: text('args').array().notNull().default([]),
    env: jsonb('env').notNull().default({}),
    prefix: text('prefix').notNull(),
    include: text('include').array().notNull().default([]),
    exclude: text('exclude').array().notNull().default([]),
    priority: integer('priority').notNull().default(0),
    enabled: boolean('enabled').notNull().default(true),
    timeoutMs: integer('timeout_ms').notNull().default(30000),
    healthIntervalMs: integer('health_interval_ms').notNull().default(15000),
    maxRetries: integer('max_retries').notNull().default(2),
    failureThreshold: integer('failure_threshold').notNull().default(3),
    recoveryTimeoutMs: integer('recovery_timeout_ms').notNull().default(10000),
    halfOpenMaxCalls: integer('half_open_max_calls').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check('upstreams_id_rule', sql`${table.id} ~ '^[a-z0-9][a-z0-9_-]{0,63}$'`),
    check('upstreams_transport', sql`${table.transport} IN ('streamable-http', 'stdio')`),
    check(
      'upstreams_transport_target',
      sql`(${table.transport} = 'streamable-http' AND ${table.url} IS NOT NULL) OR (${table.transport} = 'stdio' AND ${table.command} IS NOT NULL)`,
    ),
    check('upstreams_prefix_rule', sql`${table.prefix} ~ '^[A-Za-z0-9_-]{1,64}$'`),
  ],
);

export type UpstreamRow = typeof upstreams.$inferSelect;

/**
 * Admin UI sign-ins (migration 0015): one row per browser session, made when
 * an admin key, another API key or the admin token is exchanged for the
 * session cookie at POST /ui/session. Only a SHA-256 digest of the cookie's
 * random token is kept, never the credential: a key session is as good as
 * its key is now (revoked or expired: refused at once), an admin-token
 * session only while TOOLPORT_ADMIN_TOKEN is the token it was made with
 * (`token_check`, an HMAC of that token keyed by the session token, which
 * this table does not hold). Sign-out deletes the row.
 */
export const uiSessions = pgTable(
  'ui_sessions',
  {
    /** SHA-256 (hex) of the cookie's token. */
    id: text('id').primaryKey(),
    /** `key:<id>` or `admin-token`: the actor of everything done in the session. */
    actor: text('actor').notNull(),
    keyId: uuid('key_id').references(() => apiKeys.id, { onDelete: 'cascade' }),
    /** Admin-token sessions: HMAC-SHA256(session token, admin token), hex. */
    tokenCheck: text('token_check'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    index('ui_sessions_expires_at').on(table.expiresAt),
    check('ui_sessions_id_sha256', sql`${table.id} ~ '^[0-9a-f]{64}$'`),
    check('ui_sessions_credential', sql`(${table.keyId} IS NOT NULL) <> (${table.tokenCheck} IS NOT NULL)`),
  ],
);

export type UiSessionRow = typeof uiSessions.$inferSelect;
