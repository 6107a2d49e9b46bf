import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOAuthSettings } from '../../src/auth/oauth/settings.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

describe.each(backends)('servers.auth (migration 0010) (%s)', (backend) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await db.database.query(`INSERT INTO servers (id, name) VALUES ('oauth_test', 'OAuth test')`);
  });
  afterAll(() => db?.dispose());

  it('is null (no OAuth) by default and round-trips settings that parse again', async () => {
    const { rows } = await db.database.query(`SELECT auth FROM servers WHERE id = 'oauth_test'`);
    expect(rows[0]!.auth).toBeNull();

    const settings = parseOAuthSettings({
      issuer: 'https://auth.example.com',
      audience: 'https://tools.example.com/mcp',
      jwksUrl: 'https://auth.example.com/jwks',
      scopes: { 'finance.read': ['finance:list', 'finance:call'] },
    });
    await db.database.query(`UPDATE servers SET auth = $1::jsonb WHERE id = 'oauth_test'`, [JSON.stringify(settings)]);
    const again = await db.database.query(`SELECT auth FROM servers WHERE id = 'oauth_test'`);
    expect(parseOAuthSettings(again.rows[0]!.auth)).toEqual(settings);
  });

  it('refuses anything but a JSON object, also from plain SQL', async () => {
    await expect(db.database.query(`UPDATE servers SET auth = '"https://auth.example.com"'::jsonb WHERE id = 'oauth_test'`)).rejects.toThrow(
      /servers_auth_object/,
    );
    await expect(db.database.query(`UPDATE servers SET auth = '[]'::jsonb WHERE id = 'oauth_test'`)).rejects.toThrow(/servers_auth_object/);
  });
});
