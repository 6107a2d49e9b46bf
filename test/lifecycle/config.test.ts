import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR, loadConfig } from '../../src/shared/config.ts';
import type { AppError } from '../../src/shared/errors.ts';

function configError(env: Record<string, string>, servers?: string): AppError {
  try {
    loadConfig(env, { servers });
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('has safe defaults: loopback, embedded database in the checkout, every server', () => {
    expect(DEFAULT_DATA_DIR).toMatch(/\.toolport\/data$/);
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: DEFAULT_DATA_DIR,
      servers: undefined,
      adminToken: undefined,
      sqlPort: 5433,
    });
  });

  it('parses TOOLPORT_SERVERS and lets --servers override it', () => {
    expect(loadConfig({ TOOLPORT_SERVERS: 'finance:4001, utility' }).servers).toEqual([{ id: 'finance', port: 4001 }, { id: 'utility' }]);
    expect(loadConfig({ TOOLPORT_SERVERS: 'finance' }, { servers: 'utility:4002' }).servers).toEqual([{ id: 'utility', port: 4002 }]);
  });

  it('names the field and the reason for bad values', () => {
    expect(configError({ TOOLPORT_SQL_PORT: 'abc' }).details![0]!.path).toBe('/TOOLPORT_SQL_PORT');
    expect(configError({ TOOLPORT_SERVERS: 'finance:99999' }).message).toMatch(/TOOLPORT_SERVERS/);
    expect(configError({ DATABASE_URL: 'mysql://x' }).message).toMatch(/DATABASE_URL.*postgres/);
    expect(configError({ TOOLPORT_ADMIN_TOKEN: 'short' }).message).toMatch(/TOOLPORT_ADMIN_TOKEN.*16/);
    expect(configError({ TOOLPORT_STOCK_PROVIDER: 'alphavantage' }).message).toMatch(/ALPHAVANTAGE_API_KEY/);
    expect(configError({}, 'Finance Server').message).toMatch(/SERVER_ID/);
  });
});
