import { describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { bearer, useOAuthToolport } from '../support/oauth-toolport.ts';

/**
 * Key rotation at the authorization server, seen by a real Toolport: a token
 * signed with a key the JWKS does not publish yet is refused; once the
 * stand-in publishes it, Toolport fetches the JWKS again and accepts the
 * token — but it refetches for an unknown `kid` at most once per cooldown
 * (30 s in production; shortened here), so a stream of made-up kids cannot become a stream
 * of JWKS fetches. One backend: nothing here touches the database.
 */

/** The verifier's refetch cooldown in this test (production: 30 s); shortened so the test need not wait 30 s. */
const JWKS_COOLDOWN_MS = 1_500;

describe('OAuth key rotation on a real Toolport (pglite)', () => {
  const t = useOAuthToolport('pglite', {}, { oauthVerifier: { cooldownMs: JWKS_COOLDOWN_MS } });

  it('refuses a token of an unpublished key, accepts it once the key is published (one refetch per cooldown)', async () => {
    const next = await t.as.unpublishedKey();
    const rotated = bearer(await next.mint({}, { scope: 'tools.read' }));
    const list = (headers: Record<string, string>) => fetch(`${t.finance}/tools`, { headers });

    // A known key first: Toolport's verifier fetches the JWKS once and caches it.
    expect((await list(bearer(await t.as.mint({}, { scope: 'tools.read' })))).status).toBe(200);
    const fetchesBefore = t.as.jwksFetches;

    const refused = await list(rotated);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');

    next.publish();
    let attempts = 0;
    await within(
      JWKS_COOLDOWN_MS + 10_000,
      async () => {
        attempts++;
        return (await list(rotated)).status === 200 ? true : undefined;
      },
      'the rotated key accepted',
    );
    // Many refused attempts, at most two fetches (the refusal above may have fallen after a cooldown already).
    const fetches = t.as.jwksFetches - fetchesBefore;
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(fetches).toBeLessThanOrEqual(2);
    expect(attempts).toBeGreaterThan(fetches);
    // Known keys now come from the cache.
    expect((await list(rotated)).status).toBe(200);
    expect((await list(bearer(await t.as.mint({}, { scope: 'tools.read' })))).status).toBe(200);
    expect(t.as.jwksFetches - fetchesBefore).toBe(fetches);
  }, 90_000);
});
