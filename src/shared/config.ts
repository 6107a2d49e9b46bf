import { resolve } from 'node:path';
import * as v from 'valibot';
import { fromProjectRoot } from './project-root.ts';
import { parseOrThrow } from './validation.ts';

/**
 * Configuration is read from the environment (and `--servers`) exactly once,
 * at start, into this typed object; nothing reads process.env afterwards.
 */

const port = v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(0), v.maxValue(65535));
const positiveInt = v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(1));
const nonEmpty = v.pipe(v.string(), v.trim(), v.minLength(1, 'must not be empty'));

/** `a, b,,c` → ['a', 'b', 'c'] */
const commaList = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** `finance:4001,utility` → [{ id: 'finance', port: 4001 }, { id: 'utility' }] */
const serverSelection = v.pipe(
  v.string(),
  v.transform(commaList),
  v.array(
    v.pipe(
      v.string(),
      v.regex(/^([A-Za-z0-9_.-]{1,128}(:\d{1,5})?|\*)$/, 'must be SERVER_ID, SERVER_ID:PORT (e.g. finance:4001) or * (every other enabled server)'),
      v.transform((item) => {
        const [id, portText] = item.split(':');
        return portText === undefined ? { id: id! } : { id: id!, port: Number(portText) };
      }),
      v.object({ id: v.string(), port: v.optional(v.pipe(v.number(), v.maxValue(65535, 'port must be ≤ 65535'))) }),
    ),
  ),
);

const EnvSchema = v.object({
  DATABASE_URL: v.optional(v.pipe(nonEmpty, v.regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://'))),
  TOOLPORT_DATA_DIR: v.optional(nonEmpty),
  TOOLPORT_HOST: v.optional(nonEmpty, '127.0.0.1'),
  TOOLPORT_SERVERS: v.optional(serverSelection),
  TOOLPORT_ADMIN_TOKEN: v.optional(v.pipe(v.string(), v.minLength(16, 'must be at least 16 characters'))),
  TOOLPORT_SQL_PORT: v.optional(port, '5433'),
  TOOLPORT_GATEWAY_PORT: v.optional(port),
  TOOLPORT_STRICT_TOOL_NAMES: v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '0'),
  TOOLPORT_SEARCH_THRESHOLD: v.optional(v.pipe(v.string(), v.transform(Number), v.integer('must be an integer'), v.minValue(0)), '200'),
  TOOLPORT_CALL_TIMEOUT_MS: v.optional(positiveInt, '10000'),
  TOOLPORT_SLOW_QUERY_MS: v.optional(positiveInt, '1000'),
  TOOLPORT_MAX_BODY_BYTES: v.optional(positiveInt, '1048576'),
  TOOLPORT_SHUTDOWN_TIMEOUT_MS: v.optional(positiveInt, '10000'),
  TOOLPORT_CHANGE_POLL_MS: v.optional(positiveInt, '1000'),
  TOOLPORT_CHANGE_RETENTION_HOURS: v.optional(positiveInt, '24'),
  TOOLPORT_REVISIONS_KEEP: v.optional(positiveInt),
  TOOLPORT_LOG_PRETTY: v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '0'),
  TOOLPORT_METRICS: v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '1'),
  TOOLPORT_METRICS_OPEN: v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '0'),
  TOOLPORT_UI: v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '1'),
  TOOLPORT_AUTH: v.optional(v.picklist(['required', 'local-open'], 'must be required or local-open')),
  TOOLPORT_EXPECTED_REPLICAS: v.optional(positiveInt, '1'),
  TOOLPORT_AUDIT_ARGUMENTS: v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '0'),
  TOOLPORT_AUDIT_RETENTION_DAYS: v.optional(positiveInt, '30'),
  TOOLPORT_LOG_LEVEL: v.optional(v.picklist(['debug', 'info', 'warn', 'error', 'silent']), 'info'),
  TOOLPORT_ALLOWED_ORIGINS: v.optional(v.pipe(v.string(), v.transform(commaList))),
  TOOLPORT_MCP_SESSION_IDLE_MS: v.optional(positiveInt, '1800000'),
  TOOLPORT_MCP_MAX_SESSIONS: v.optional(positiveInt, '1000'),
  TOOLPORT_MAX_CHANGE_STREAMS: v.optional(positiveInt, '1000'),
  TOOLPORT_MAX_JSON_DEPTH: v.optional(positiveInt, '64'),
  TOOLPORT_MAX_SCHEMA_BYTES: v.optional(positiveInt, '65536'),
  TOOLPORT_MAX_SCHEMA_PROPERTIES: v.optional(positiveInt, '100'),
  TOOLPORT_CPU_WORKERS: v.optional(positiveInt),
  TOOLPORT_TOOLS_PAGE_SIZE: v.optional(positiveInt, '500'),
  TOOLPORT_SQL_PASSWORD: v.optional(v.pipe(v.string(), v.minLength(12, 'must be at least 12 characters'))),
  TOOLPORT_HTTP_ALLOW: v.optional(v.pipe(v.string(), v.transform(commaList))),
  TOOLPORT_UPSTREAM_STDIO: v.optional(v.picklist(['0', '1'], 'must be 0 or 1'), '0'),
  TOOLPORT_HANDLERS_DIR: v.optional(nonEmpty),
  TOOLPORT_STOCK_PROVIDER: v.optional(v.picklist(['offline', 'alphavantage']), 'offline'),
  TOOLPORT_NEWS_PROVIDER: v.optional(v.picklist(['offline', 'alphavantage']), 'offline'),
  TOOLPORT_WEATHER_PROVIDER: v.optional(v.picklist(['offline', 'open-meteo']), 'offline'),
  ALPHAVANTAGE_API_URL: v.optional(v.pipe(nonEmpty, v.url('must be a URL')), 'https://www.alphavantage.co'),
  ALPHAVANTAGE_API_KEY: v.optional(nonEmpty),
  OPEN_METEO_API_URL: v.optional(v.pipe(nonEmpty, v.url('must be a URL')), 'https://api.open-meteo.com'),
  OPEN_METEO_GEOCODING_URL: v.optional(v.pipe(nonEmpty, v.url('must be a URL')), 'https://geocoding-api.open-meteo.com'),
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface ProvidersConfig {
  stocks: 'offline' | 'alphavantage';
  news: 'offline' | 'alphavantage';
  weather: 'offline' | 'open-meteo';
  alphaVantage: { baseUrl: string; apiKey: string | undefined };
  openMeteo: { forecastUrl: string; geocodingUrl: string };
}

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  /** undefined: serve every enabled server on its own port. */
  servers: { id: string; port?: number }[] | undefined;
  adminToken: string | undefined;
  sqlPort: number;
  /** TOOLPORT_GATEWAY_PORT: one more listener serving every server at /<id>/… and the composed /mcp; undefined = none. */
  gatewayPort: number | undefined;
  /** TOOLPORT_STRICT_TOOL_NAMES=1: composed names must be ≤ 64 of [A-Za-z0-9_-] (what several model APIs accept). */
  strictToolNames: boolean;
  /** TOOLPORT_SEARCH_THRESHOLD: past this many tools the composed /mcp offers search_tools + call_tool instead (0 = never). */
  searchThreshold: number;
  callTimeoutMs: number;
  /** Statements of sql tools slower than this are logged (warn) with tool, source and duration. */
  slowQueryMs: number;
  maxBodyBytes: number;
  shutdownTimeoutMs: number;
  /** Fallback poll of the change feed (and the only path for psql edits on the embedded database). */
  changePollMs: number;
  changeRetentionHours: number;
  /** TOOLPORT_REVISIONS_KEEP: the newest revisions kept per tool; undefined = all of them. */
  revisionsKeep: number | undefined;
  /** TOOLPORT_METRICS_OPEN=1: /metrics without a credential (for a scraper inside a private network); else it needs `admin`. */
  metricsOpen: boolean;
  /** TOOLPORT_UI=0: no admin web UI at /ui (default 1: on the gateway, or on each listener without one). */
  ui: boolean;
  /** TOOLPORT_METRICS=0: no metrics recorded, no /metrics route. */
  metrics: boolean;
  /** TOOLPORT_LOG_PRETTY=1: human-readable log lines (pino-pretty) instead of JSON. */
  logPretty: boolean;
  /** The audit log: `storeArguments` (TOOLPORT_AUDIT_ARGUMENTS=1) keeps full call arguments beside their digest; rows older than `retentionDays` are deleted. */
  audit: { storeArguments: boolean; retentionDays: number };
  /** TOOLPORT_AUTH: unset = follow the bind address (src/auth/policy.ts). */
  auth: 'required' | 'local-open' | undefined;
  /** TOOLPORT_EXPECTED_REPLICAS: processes sharing the rate limits; each one's share while the database is down. */
  expectedReplicas: number;
  logLevel: LogLevel;
  allowedOrigins: string[];
  mcpSessionIdleMs: number;
  mcpMaxSessions: number;
  /** TOOLPORT_MAX_CHANGE_STREAMS: open GET /changes streams per listener (each gateway path its own); one more is a 503. */
  maxChangeStreams: number;
  /** Bounds on what a request may carry (README "Limits"). */
  limits: {
    /** Nesting depth of any JSON body (objects and arrays). */
    jsonDepth: number;
    /** Size of a stored input or output schema, as JSON text. */
    schemaBytes: number;
    /** Properties a schema may declare, counted over every nesting level. */
    schemaProperties: number;
  };
  /** Threads for handlers that do CPU work on caller input (default: the number of cores, at least 2). */
  cpuWorkers: number | undefined;
  /** Default page size of GET /tools. */
  toolsPageSize: number;
  /** Password of the embedded SQL port; undefined: generated at first start and kept beside the data dir. */
  sqlPassword: string | undefined;
  /**
   * TOOLPORT_HTTP_ALLOW: what outbound calls of `http` tools may reach beyond
   * public addresses — host names, `*.suffix` patterns and CIDRs.
   */
  httpAllow: string[];
  /** TOOLPORT_UPSTREAM_STDIO=1: stdio upstreams (a command this process runs, from an admin's definition) are allowed. */
  upstreamStdio: boolean;
  /** Where handler modules outside the source tree are loaded from; `explicit`: set by TOOLPORT_HANDLERS_DIR (then it must exist). */
  handlersDir: { path: string; explicit: boolean };
  /**
   * `${secret:NAME}` → the value of TOOLPORT_SECRET_NAME in the environment
   * the process started with, read at call time (the one place that reads
   * the environment after start): secrets are references in the database,
   * never values.
   */
  secret: (name: string) => string | undefined;
  providers: ProvidersConfig;
}

type Env = Record<string, string | undefined>;

/** `${secret:BILLING_TOKEN}` reads TOOLPORT_SECRET_BILLING_TOKEN. */
export const SECRET_PREFIX = 'TOOLPORT_SECRET_';

/**
 * The default data dir lives in the checkout, not in the current directory:
 * a desktop client that spawns `toolport mcp` from elsewhere must find the
 * same database that `npm start` created.
 */
export const DEFAULT_DATA_DIR = fromProjectRoot('.toolport', 'data');

/** Empty strings count as unset, as in most .env loaders. */
function withoutEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
}

export function loadConfig(env: Env = process.env, overrides: { servers?: string } = {}): Config {
  const input = withoutEmpty({ ...env, ...(overrides.servers ? { TOOLPORT_SERVERS: overrides.servers } : {}) });
  const known = Object.fromEntries(
    Object.keys(EnvSchema.entries)
      .filter((key) => key in input)
      .map((key) => [key, input[key]]),
  );
  const e = parseOrThrow(EnvSchema, known, 'configuration');
  const needsKey = e.TOOLPORT_STOCK_PROVIDER === 'alphavantage' || e.TOOLPORT_NEWS_PROVIDER === 'alphavantage';
  if (needsKey && !e.ALPHAVANTAGE_API_KEY) {
    parseOrThrow(v.object({ ALPHAVANTAGE_API_KEY: v.string('is required when a provider is alphavantage') }), {}, 'configuration');
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.TOOLPORT_DATA_DIR ?? DEFAULT_DATA_DIR,
    host: e.TOOLPORT_HOST,
    servers: e.TOOLPORT_SERVERS,
    adminToken: e.TOOLPORT_ADMIN_TOKEN,
    sqlPort: e.TOOLPORT_SQL_PORT,
    gatewayPort: e.TOOLPORT_GATEWAY_PORT,
    strictToolNames: e.TOOLPORT_STRICT_TOOL_NAMES === '1',
    searchThreshold: e.TOOLPORT_SEARCH_THRESHOLD,
    callTimeoutMs: e.TOOLPORT_CALL_TIMEOUT_MS,
    slowQueryMs: e.TOOLPORT_SLOW_QUERY_MS,
    maxBodyBytes: e.TOOLPORT_MAX_BODY_BYTES,
    shutdownTimeoutMs: e.TOOLPORT_SHUTDOWN_TIMEOUT_MS,
    changePollMs: e.TOOLPORT_CHANGE_POLL_MS,
    changeRetentionHours: e.TOOLPORT_CHANGE_RETENTION_HOURS,
    revisionsKeep: e.TOOLPORT_REVISIONS_KEEP,
    metricsOpen: e.TOOLPORT_METRICS_OPEN === '1',
    ui: e.TOOLPORT_UI === '1',
    metrics: e.TOOLPORT_METRICS === '1',
    logPretty: e.TOOLPORT_LOG_PRETTY === '1',
    audit: { storeArguments: e.TOOLPORT_AUDIT_ARGUMENTS === '1', retentionDays: e.TOOLPORT_AUDIT_RETENTION_DAYS },
    auth: e.TOOLPORT_AUTH,
    expectedReplicas: e.TOOLPORT_EXPECTED_REPLICAS,
    logLevel: e.TOOLPORT_LOG_LEVEL,
    allowedOrigins: e.TOOLPORT_ALLOWED_ORIGINS ?? [],
    mcpSessionIdleMs: e.TOOLPORT_MCP_SESSION_IDLE_MS,
    mcpMaxSessions: e.TOOLPORT_MCP_MAX_SESSIONS,
    maxChangeStreams: e.TOOLPORT_MAX_CHANGE_STREAMS,
    limits: { jsonDepth: e.TOOLPORT_MAX_JSON_DEPTH, schemaBytes: e.TOOLPORT_MAX_SCHEMA_BYTES, schemaProperties: e.TOOLPORT_MAX_SCHEMA_PROPERTIES },
    cpuWorkers: e.TOOLPORT_CPU_WORKERS,
    toolsPageSize: e.TOOLPORT_TOOLS_PAGE_SIZE,
    sqlPassword: e.TOOLPORT_SQL_PASSWORD,
    httpAllow: e.TOOLPORT_HTTP_ALLOW ?? [],
    upstreamStdio: e.TOOLPORT_UPSTREAM_STDIO === '1',
    handlersDir: { path: resolve(e.TOOLPORT_HANDLERS_DIR ?? 'handlers'), explicit: e.TOOLPORT_HANDLERS_DIR !== undefined },
    secret: (name) => {
      const value = env[`${SECRET_PREFIX}${name}`];
      return value === undefined || value === '' ? undefined : value;
    },
    providers: {
      stocks: e.TOOLPORT_STOCK_PROVIDER,
      news: e.TOOLPORT_NEWS_PROVIDER,
      weather: e.TOOLPORT_WEATHER_PROVIDER,
      alphaVantage: { baseUrl: e.ALPHAVANTAGE_API_URL, apiKey: e.ALPHAVANTAGE_API_KEY },
      openMeteo: { forecastUrl: e.OPEN_METEO_API_URL, geocodingUrl: e.OPEN_METEO_GEOCODING_URL },
    },
  };
}
