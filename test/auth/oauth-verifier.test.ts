import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OAuthSettings, parseOAuthSettings } from '../../src/auth/oauth/settings.ts';
import { createOAuthVerifier, type OAuthVerification } from '../../src/auth/oauth/verifier.ts';
import { AppError } from '../../src/shared/errors.ts';
import { type OAuthStandIn, startOAuthStandIn } from '../support/oauth-server.ts';

const AUDIENCE = 'http://127.0.0.1:4100/mcp';

let as: OAuthStandIn;
let settings: OAuthSettings;

beforeAll(async () => {
  as = await startOAuthStandIn({ audience: AUDIENCE });
  settings = parseOAuthSettings({
    issuer: as.issuer,
    audience: AUDIENCE,
    jwksUrl: as.jwksUrl,
    scopes: { 'finance.read': ['finance:list', 'finance:call:get_*'], 'finance.write': 'finance:write', mcp: 'finance:list' },
  });
});
afterAll(() => as?.close());

function failure(result: OAuthVerification) {
  if (result.ok) throw new Error(`expected a failure, got principal ${result.principal.actor}`);
  return result.failure;
}

describe('OAuth access-token verification (jose, JWKS from the stand-in)', () => {
  it('accepts a valid RS256 token and maps its scopes to a Principal', async () => {
    const verifier = createOAuthVerifier(settings);
    const result = await verifier.verify(await as.mint({}, { scope: 'finance.read unrelated', subject: 'alice' }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.principal).toEqual({
      kind: 'oauth',
      actor: `oauth:${as.issuer}#alice`,
      name: 'alice',
      scopes: [
        { server: 'finance', action: 'list' },
        { server: 'finance', action: 'call', toolGlob: 'get_*' },
      ],
    });
    expect(result.token.oauthScopes).toEqual(['finance.read', 'unrelated']);
    expect(JSON.stringify(result)).not.toMatch(/eyJ/); // the raw token is not carried along
  });

  it('reads `scp` (array) as well as `scope`, de-duplicates grants, and names a subject-less client by client_id', async () => {
    const verifier = createOAuthVerifier(settings);
    const result = await verifier.verify(await as.mint({ sub: undefined, scp: ['mcp', 'finance.read', 'finance.write'] }, { clientId: 'ci-bot' }));
    if (!result.ok) throw new Error(result.failure.message);
    expect(result.principal.actor).toBe(`oauth:${as.issuer}#ci-bot`);
    expect(result.principal.name).toBe('ci-bot');
    expect(result.principal.scopes).toEqual([
      { server: 'finance', action: 'list' },
      { server: 'finance', action: 'call', toolGlob: 'get_*' },
      { server: 'finance', action: 'write' },
    ]);
  });

  it.each([
    ['expired', { expiresIn: -120 }, 'expired'],
    ['not yet valid', { notBefore: 600 }, 'not_yet_valid'],
    ['for another audience', { audience: 'http://127.0.0.1:4100/other' }, 'wrong_audience'],
    ['from another issuer', { issuer: 'http://127.0.0.1:1/evil' }, 'wrong_issuer'],
    ['without exp', { expiresIn: null }, 'missing_claim'],
  ] as const)('refuses a token %s as invalid_token (%s)', async (_name, options, reason) => {
    const verifier = createOAuthVerifier(settings);
    const result = failure(await verifier.verify(await as.mint({}, { scope: 'finance.read', ...options })));
    expect(result).toMatchObject({ error: 'invalid_token', reason });
  });

  it('tolerates a small clock skew on exp and nbf', async () => {
    const verifier = createOAuthVerifier(settings, { clockToleranceSec: 30 });
    expect((await verifier.verify(await as.mint({}, { scope: 'finance.read', expiresIn: -10 }))).ok).toBe(true);
    expect((await verifier.verify(await as.mint({}, { scope: 'finance.read', notBefore: 10 }))).ok).toBe(true);
  });

  it('refuses alg: none', async () => {
    const verifier = createOAuthVerifier(settings);
    expect(failure(await verifier.verify(as.algNone({}, { scope: 'finance.read' })))).toMatchObject({
      error: 'invalid_token',
      reason: 'algorithm_not_allowed',
    });
  });

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const verifier = createOAuthVerifier(settings);
    const result = failure(await verifier.verify(await as.hs256WithPublicKey({}, { scope: 'finance.read' })));
    expect(result).toMatchObject({ error: 'invalid_token', reason: 'algorithm_not_allowed' });
  });

  it('refuses a tampered signature and garbage', async () => {
    const verifier = createOAuthVerifier(settings);
    const good = await as.mint({}, { scope: 'finance.read' });
    const [header, body] = good.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), sub: 'root' })).toString('base64url')}.${good.split('.')[2]}`;
    expect(failure(await verifier.verify(forged))).toMatchObject({ error: 'invalid_token', reason: 'bad_signature' });
    expect(failure(await verifier.verify('not-a-jwt'))).toMatchObject({ error: 'invalid_token', reason: 'malformed' });
    expect(failure(await verifier.verify(''))).toMatchObject({ error: 'invalid_token', reason: 'malformed' });
    expect(failure(await verifier.verify('a'.repeat(9000)))).toMatchObject({ error: 'invalid_token', reason: 'malformed' });
  });

  it('fetches the JWKS again for an unknown kid (rotation), at most once per cooldown', async () => {
    // The authorization server will start signing with a key this verifier has not seen yet (made first: RSA key generation takes a while).
    const next = await as.unpublishedKey();
    const rotated = await next.mint({}, { scope: 'finance.read' });
    const madeUp = await next.mint({}, { scope: 'finance.read', kid: 'made-up' });

    const verifier = createOAuthVerifier(settings, { cooldownMs: 1000 });
    expect((await verifier.verify(await as.mint({}, { scope: 'finance.read' }))).ok).toBe(true);
    const fetchesAfterFirst = as.jwksFetches;

    // Inside the cooldown an unknown kid is refused without another fetch …
    expect(failure(await verifier.verify(rotated))).toMatchObject({ error: 'invalid_token', reason: 'unknown_key' });
    expect(failure(await verifier.verify(madeUp))).toMatchObject({ reason: 'unknown_key' });
    expect(as.jwksFetches).toBe(fetchesAfterFirst);

    // … and once it has passed and the key is published, one refetch picks it up.
    next.publish();
    await new Promise((resolve) => setTimeout(resolve, 1050));
    expect((await verifier.verify(rotated)).ok).toBe(true);
    expect(as.jwksFetches).toBe(fetchesAfterFirst + 1);
    // Known keys are served from the cache: no further fetches.
    expect((await verifier.verify(await as.mint({}, { scope: 'finance.read' }))).ok).toBe(true);
    expect(as.jwksFetches).toBe(fetchesAfterFirst + 1);
  });

  it('follows a rotation that retires the old key: old tokens stop working, new ones work', async () => {
    const verifier = createOAuthVerifier(settings, { cooldownMs: 0 });
    const old = await as.mint({}, { scope: 'finance.read' });
    expect((await verifier.verify(old)).ok).toBe(true);
    await as.rotate({ retire: true });
    expect((await verifier.verify(await as.mint({}, { scope: 'finance.read' }))).ok).toBe(true);
    // The cached set still holds the old key until the cache ages out: its tokens stay good until then (bounded by cacheMaxAgeMs) …
    const fresh = createOAuthVerifier(settings, { cooldownMs: 0 });
    // … while a verifier that fetched after the rotation refuses them.
    expect(failure(await fresh.verify(old))).toMatchObject({ reason: 'unknown_key' });
  });

  it('answers insufficient_scope when a required scope is missing, naming the scopes to request', async () => {
    const verifier = createOAuthVerifier({ ...settings, requiredScopes: ['mcp'] });
    expect(failure(await verifier.verify(await as.mint({}, { scope: 'finance.read' })))).toMatchObject({
      error: 'insufficient_scope',
      scopes: ['mcp'],
    });
    expect((await verifier.verify(await as.mint({}, { scope: 'finance.read mcp' }))).ok).toBe(true);
  });

  it('answers insufficient_scope when the token grants none of the mapped scopes', async () => {
    const verifier = createOAuthVerifier(settings);
    expect(failure(await verifier.verify(await as.mint({}, { scope: 'openid profile' })))).toMatchObject({
      error: 'insufficient_scope',
      scopes: ['finance.read', 'finance.write', 'mcp'],
    });
    expect(failure(await verifier.verify(await as.mint({}, {})))).toMatchObject({ error: 'insufficient_scope' });
  });

  it('reports an unreachable JWKS as unavailable, not as a bad token', async () => {
    const verifier = createOAuthVerifier({ ...settings, jwksUrl: 'http://127.0.0.1:9/jwks.json' }, { timeoutMs: 1000 });
    expect(failure(await verifier.verify(await as.mint({}, { scope: 'finance.read' })))).toMatchObject({ error: 'unavailable' });
  });
});

describe('OAuth settings (servers.auth)', () => {
  const base = {
    issuer: 'https://auth.example.com',
    audience: 'https://tools.example.com/mcp',
    jwksUrl: 'https://auth.example.com/jwks',
    scopes: { read: 'finance:list' },
  };

  it('fills the defaults and normalises a single Toolport scope to an array', () => {
    expect(parseOAuthSettings(base)).toEqual({ ...base, scopes: { read: ['finance:list'] }, requiredScopes: [], acceptKeys: true });
  });

  it.each([
    [{ ...base, issuer: 'http://auth.example.com' }, '/auth/issuer must be https (http only for localhost / 127.0.0.1, for local testing)'],
    [{ ...base, issuer: 'https://auth.example.com/?tenant=1' }, '/auth/issuer must not have a query string'],
    [{ ...base, audience: 'tools' }, '/auth/audience must be an absolute URL'],
    [{ ...base, jwksUrl: 'ftp://auth.example.com/jwks' }, '/auth/jwksUrl must be an https URL'],
    [{ ...base, scopes: {} }, '/auth/scopes must map at least one OAuth scope'],
    [{ ...base, scopes: { read: 'finance:read' } }, '/auth/scopes/read/0 the action "read" must be one of list, call, write (or the bare scope admin)'],
    [{ ...base, scopes: { 'bad scope': 'finance:list' } }, '/auth/scopes/bad scope must be an OAuth scope token'],
    [{ ...base, acceptKeys: 'yes' }, '/auth/acceptKeys must be true or false'],
    [{ ...base, audiance: 'x' }, '/auth/audiance is not a known field'],
  ])('names the field and the reason: %j', (value, message) => {
    try {
      parseOAuthSettings(value);
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('bad_request');
      expect((error as AppError).message).toContain(message);
    }
  });

  it('accepts http on localhost / 127.0.0.1 (local testing) and the admin scope', () => {
    const parsed = parseOAuthSettings({
      ...base,
      issuer: 'http://localhost:8080',
      jwksUrl: 'http://127.0.0.1:8080/jwks',
      scopes: { ops: ['admin', '*:call:echo_*'] },
    });
    expect(parsed.scopes.ops).toEqual(['admin', '*:call:echo_*']);
  });
});
