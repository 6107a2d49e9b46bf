import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import type { StartOptions } from '../../src/main/toolport.ts';
import { within } from '../live/within.ts';
import { type Backend, openTestDatabase, type TestDatabase } from './database.ts';
import { type OAuthStandIn, startOAuthStandIn } from './oauth-server.ts';
import { type RunningToolport, startTestToolport } from './toolport.ts';

/**
 * A real Toolport (finance and utility on ephemeral ports) beside the local
 * authorization-server stand-in, with OAuth switched on for finance the way
 * an operator does it: `UPDATE servers SET auth = …` in the database, then
 * the change feed reloads the row. The listener's port is known only after
 * start, and the audience must be finance's own resource URL
 * (http://127.0.0.1:<port>/mcp), so the settings are written after start.
 */

export const ADMIN_TOKEN = 'oauth-flow-admin-token-6b1f0e2d9c';

/** The mapping the tests use: list, call, and a tool-glob grant that shows only get_* tools. */
export const FINANCE_SCOPES = {
  'tools.read': ['finance:list'],
  'tools.call': ['finance:call'],
  'tools.prices': ['finance:list:get_*'],
};

export interface OAuthToolport {
  db: TestDatabase;
  app: RunningToolport;
  as: OAuthStandIn;
  /** finance's base URL (OAuth on), e.g. http://127.0.0.1:40123 */
  finance: string;
  /** utility's base URL (OAuth off). */
  utility: string;
  /** finance's resource URL: `${finance}/mcp`. */
  audience: string;
  /** finance's settings as the tests start them. */
  settings(extra?: Record<string, unknown>): Record<string, unknown>;
  /** Write finance's servers.auth (null: OAuth off) and wait until the registry serves it. */
  setAuth(settings: Record<string, unknown> | null): Promise<void>;
}

export function useOAuthToolport(backend: Backend, env: Record<string, string> = {}, options: StartOptions = {}): OAuthToolport {
  const t = {} as OAuthToolport;
  beforeAll(async () => {
    t.as = await startOAuthStandIn();
    t.db = await openTestDatabase(backend);
    t.app = await startTestToolport(t.db, { TOOLPORT_ADMIN_TOKEN: ADMIN_TOKEN, TOOLPORT_CHANGE_POLL_MS: '100', ...env }, options);
    t.finance = t.app.urls.finance!;
    t.utility = t.app.urls.utility!;
    t.audience = `${t.finance}/mcp`;
    t.as.audience = t.audience;
    t.settings = (extra = {}) => ({ issuer: t.as.issuer, audience: t.audience, jwksUrl: t.as.jwksUrl, scopes: FINANCE_SCOPES, ...extra });
    t.setAuth = async (settings) => {
      await t.db.database.query(`UPDATE servers SET auth = $1::jsonb WHERE id = 'finance'`, [settings === null ? null : JSON.stringify(settings)]);
      // What every request's access check reads: the registry's snapshot of the servers row.
      await within(
        10_000,
        async () => (isDeepStrictEqual(t.app.toolport.runtime.registry.snapshot('finance')?.server.auth ?? null, settings) ? true : undefined),
        'servers.auth of finance live',
      );
    };
    await t.setAuth(t.settings());
  }, 60_000);
  afterAll(async () => {
    await t.app?.stop();
    await t.db?.dispose();
    await t.as?.close();
  });
  return t;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
