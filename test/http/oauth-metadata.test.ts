import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client, ClientCredentialsProvider, extractWWWAuthenticateParams, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { bearerAuthChallengeResponse, createMcpHandler, McpServer, OAuthError, OAuthErrorCode } from '@modelcontextprotocol/server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, challengeFor, insufficientScope } from '../../src/auth/oauth/challenge.ts';
import { type OAuthSettings, parseOAuthSettings } from '../../src/auth/oauth/settings.ts';
import { createOAuthVerifier, type OAuthVerifier } from '../../src/auth/oauth/verifier.ts';
import type { Principal } from '../../src/auth/principal.ts';
import type { RestEnv } from '../../src/http/env.ts';
import { oauthMetadataRoutes } from '../../src/http/routes/oauth-metadata.ts';
import { AppError, errorBody } from '../../src/shared/errors.ts';
import { type OAuthStandIn, startOAuthStandIn } from '../support/oauth-server.ts';

/**
 * The metadata route on a real listener (serve() on an ephemeral port), with
 * a small OAuth gate in front of an SDK MCP endpoint standing in for the
 * integration that is still to come: it shows the 401/403 challenges a client
 * sees and lets the SDK v2 client's own OAuth support run the whole flow
 * against the authorization-server stand-in.
 */

let as: OAuthStandIn;
let base: string;
let settings: OAuthSettings | null;
let verifier: OAuthVerifier;
let close: () => Promise<void>;

function listenerApp(): Hono<RestEnv> {
  const app = new Hono<RestEnv>();
  app.route('/', oauthMetadataRoutes({ settings: () => settings, resourceName: () => 'Finance tools' }));

  const mcp = createMcpHandler(({ authInfo }) => {
    const server = new McpServer({ name: 'oauth-test', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who the caller is' }, async () => ({
      content: [{ type: 'text', text: JSON.stringify(authInfo?.extra?.principal ?? null) }],
    }));
    return server;
  });

  app.all('/mcp', async (c) => {
    const current = settings!;
    const token = bearerToken(c.req.header('authorization'));
    const result = token === undefined ? undefined : await verifier.verify(token);
    if (!result?.ok) {
      const answer = challengeFor(current, result?.failure);
      if (answer.header) c.header('WWW-Authenticate', answer.header);
      return c.json({ jsonrpc: '2.0', id: null, error: { code: -32001, message: answer.message } }, answer.status);
    }
    const principal: Principal = result.principal;
    // Only who the caller is goes on — never the token itself.
    return mcp.fetch(c.req.raw, {
      authInfo: { token: '', clientId: principal.name, scopes: result.token.oauthScopes, expiresAt: result.token.expiresAt, extra: { principal } },
    });
  });

  app.notFound((c) => c.json(errorBody(new AppError('not_found', `No route ${c.req.method} ${c.req.path}`)), 404));
  app.onError((thrown, c) => {
    const error = thrown instanceof AppError ? thrown : new AppError('internal', 'Internal error');
    return c.json(errorBody(error), error.status as 404);
  });
  return app;
}

beforeAll(async () => {
  as = await startOAuthStandIn();
  as.addClient('ci-agent', 's3cret', ['finance.read']);
  const server = serve({ fetch: listenerApp().fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  as.audience = `${base}/mcp`;
  settings = parseOAuthSettings({
    issuer: as.issuer,
    audience: `${base}/mcp`,
    jwksUrl: as.jwksUrl,
    scopes: { 'finance.read': ['finance:list', 'finance:call'], 'finance.write': 'finance:write' },
    requiredScopes: [],
  });
  verifier = createOAuthVerifier(settings);
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await close?.();
  await as?.close();
});

describe('RFC 9728 protected-resource metadata', () => {
  const expected = () => ({
    resource: `${base}/mcp`,
    authorization_servers: [as.issuer],
    scopes_supported: ['finance.read', 'finance.write'],
    resource_name: 'Finance tools',
    bearer_methods_supported: ['header'],
  });

  it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])('serves the document at %s', async (path) => {
    const response = await fetch(`${base}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(await response.json()).toEqual(expected());
  });

  it('answers a CORS preflight, and HEAD', async () => {
    const preflight = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
    expect((await fetch(`${base}/.well-known/oauth-protected-resource`, { method: 'HEAD' })).status).toBe(200);
  });

  it('answers 404 for other resource paths, and for every path while the server has no OAuth settings', async () => {
    expect((await fetch(`${base}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
    const saved = settings;
    settings = null;
    try {
      const response = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      settings = saved;
    }
  });
});

describe('WWW-Authenticate challenges', () => {
  const metadataUrl = () => `${base}/.well-known/oauth-protected-resource/mcp`;
  const post = (headers: Record<string, string> = {}) =>
    fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });

  it('401 without a credential: resource_metadata and scope, no error code', async () => {
    const response = await post();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl()}", scope="finance.read finance.write"`);
    expect(((await response.json()) as { error: { code: number } }).error.code).toBe(-32001);
  });

  it('401 invalid_token for a bad token (expired, wrong audience), with the same discovery hints', async () => {
    for (const token of [
      await as.mint({}, { scope: 'finance.read', expiresIn: -300 }),
      await as.mint({}, { scope: 'finance.read', audience: `${base}/other` }),
    ]) {
      const response = await post({ authorization: `Bearer ${token}` });
      expect(response.status).toBe(401);
      const header = response.headers.get('www-authenticate')!;
      expect(header).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="finance.read finance.write"$/);
      expect(header).not.toContain(token);
    }
  });

  it('403 insufficient_scope for a valid token that grants nothing here', async () => {
    const response = await post({ authorization: `Bearer ${await as.mint({}, { scope: 'openid' })}` });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer error="insufficient_scope", error_description="[^"]+", resource_metadata="[^"]+", scope="finance.read finance.write"$/,
    );
  });

  it("the SDK client reads our headers the same way it reads the SDK server helper's own", async () => {
    const ours = new Response(null, { headers: { 'WWW-Authenticate': insufficientScope(settings!, ['finance.write']) } });
    const sdk = bearerAuthChallengeResponse(new OAuthError(OAuthErrorCode.InsufficientScope, 'The access token lacks the scope this operation needs'), {
      requiredScopes: ['finance.write'],
      resourceMetadataUrl: metadataUrl(),
    });
    expect(sdk.status).toBe(403);
    expect(extractWWWAuthenticateParams(ours)).toEqual(extractWWWAuthenticateParams(sdk));
    expect(extractWWWAuthenticateParams(ours)).toMatchObject({
      resourceMetadataUrl: new URL(metadataUrl()),
      scope: 'finance.write',
      error: 'insufficient_scope',
    });
  });

  it('parses only well-formed bearer headers', () => {
    expect(bearerToken('Bearer abc.def-_~+/=')).toBe('abc.def-_~+/=');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('the MCP SDK v2 client signs in on its own (client_credentials against the stand-in)', () => {
  it('follows 401 → protected-resource metadata → AS metadata → token → lists and calls', async () => {
    const provider = new ClientCredentialsProvider({ clientId: 'ci-agent', clientSecret: 's3cret', scope: 'finance.read', expectedIssuer: as.issuer });
    const client = new Client({ name: 'oauth-test-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { authProvider: provider }));
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['whoami']);
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const principal = JSON.parse((result.content as { type: string; text: string }[])[0]!.text) as Principal;
      // The SDK asks for the scopes of the 401 challenge and names this resource (RFC 8707); the AS grants only what the client is registered for.
      expect(as.tokenRequests).toEqual([{ clientId: 'ci-agent', scope: 'finance.read finance.write', resource: `${base}/mcp` }]);
      expect(principal).toEqual({
        kind: 'oauth',
        actor: `oauth:${as.issuer}#ci-agent`,
        name: 'ci-agent',
        scopes: [
          { server: 'finance', action: 'list' },
          { server: 'finance', action: 'call' },
        ],
      });
    } finally {
      await client.close();
    }
  });
});
