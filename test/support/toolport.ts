import { afterAll, beforeAll } from 'vitest';
import { type StartOptions, startToolport, type Toolport } from '../../src/main/toolport.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { type Backend, openTestDatabase, type TestDatabase } from './database.ts';

export interface RunningToolport {
  toolport: Toolport;
  /** Base URL of each server's listener, e.g. urls.finance = "http://127.0.0.1:39123". */
  urls: Record<string, string>;
  /** The gateway's base URL, when TOOLPORT_GATEWAY_PORT is set (use 0 for a free port). */
  gatewayUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * Start a real Toolport on ephemeral ports over an already opened test
 * database (seeded automatically when empty). `env` adds configuration
 * variables as a user would set them.
 */
export async function startTestToolport(testDb: TestDatabase, env: Record<string, string> = {}, options: StartOptions = {}): Promise<RunningToolport> {
  const config = loadConfig({
    TOOLPORT_SERVERS: 'finance:0,utility:0',
    TOOLPORT_LOG_LEVEL: 'silent',
    ...(testDb.url ? { DATABASE_URL: testDb.url } : {}),
    ...env,
  });
  const toolport = await startToolport(config, { logger: silentLogger, database: testDb.database, sqlPort: false, ...options });
  const urls = Object.fromEntries([...toolport.listeners].map(([id, listener]) => [id, listener.url]));
  return { toolport, urls, gatewayUrl: toolport.gateway?.url, stop: () => toolport.stop() };
}

export async function json(response: Response): Promise<any> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON, got ${response.status}: ${text.slice(0, 200)}`);
  }
}

/**
 * A migrated test database and a running Toolport for the enclosing
 * `describe`, opened once before its tests and closed after them. Read
 * `t.db` and `t.app` inside tests and hooks (they are set by then).
 */
export function useToolport(backend: Backend, env: Record<string, string> = {}, options: StartOptions = {}) {
  const t = {} as { db: TestDatabase; app: RunningToolport };
  beforeAll(async () => {
    t.db = await openTestDatabase(backend);
    t.app = await startTestToolport(t.db, env, options);
  });
  afterAll(async () => {
    await t.app?.stop();
    await t.db?.dispose();
  });
  return t;
}
