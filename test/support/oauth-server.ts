import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/**
 * A local stand-in for an OAuth 2.1 authorization server, for tests: a real
 * node:http server on 127.0.0.1 (ephemeral port) that serves RFC 8414
 * metadata at /.well-known/oauth-authorization-server, its signing keys at
 * /jwks.json, and a client_credentials token endpoint at /token, and mints
 * tokens with jose — good ones and every kind of bad one a resource server
 * must refuse.
 */

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

interface SigningKey {
  kid: string;
  privateKey: KeyPair['privateKey'];
  publicKey: KeyPair['publicKey'];
  publicJwk: JWK;
}

export interface MintOptions {
  /** Audience (default: the stand-in's `audience`). */
  audience?: string | string[];
  /** Issuer (default: this server's issuer). */
  issuer?: string;
  /** Seconds from now until `exp` (negative = already expired; default 300); null = no `exp` at all. */
  expiresIn?: number | null;
  /** Seconds from now of `nbf` (positive = not yet valid). */
  notBefore?: number;
  /** Sign with this key id (default: the current key); a kid not published gives an "unknown key" token. */
  kid?: string;
  /** `scope` claim (space-separated). */
  scope?: string;
  subject?: string;
  clientId?: string;
}

export interface OAuthStandIn {
  /** http://127.0.0.1:<port> — also the `iss` of its tokens. */
  issuer: string;
  jwksUrl: string;
  tokenEndpoint: string;
  /** How many times /jwks.json was fetched. */
  readonly jwksFetches: number;
  /** kid of the key new tokens are signed with. */
  readonly currentKid: string;
  /** The default audience of minted tokens; settable. */
  audience: string;
  /** A signed RS256 access token. */
  mint(claims?: JWTPayload, options?: MintOptions): Promise<string>;
  /** Make a new current key; the previous one stays published unless `retire` (then its tokens have an unknown kid). */
  rotate(options?: { retire?: boolean }): Promise<string>;
  /** A token signed with a key that is not (yet) in the JWKS: `publish()` it to simulate a rotation the resource server has not seen. */
  unpublishedKey(): Promise<{ kid: string; mint(claims?: JWTPayload, options?: MintOptions): Promise<string>; publish(): void }>;
  /** `alg: none`: no signature at all. */
  algNone(claims?: JWTPayload, options?: MintOptions): string;
  /** Algorithm confusion: HS256 with the current key's *public* key (SPKI PEM text) as the HMAC secret, carrying the real kid. */
  hs256WithPublicKey(claims?: JWTPayload, options?: MintOptions): Promise<string>;
  /** Register a client for the token endpoint (client_secret_basic); `scopes` = the most it is granted (default: whatever it asks for). */
  addClient(id: string, secret: string, scopes?: string[]): void;
  /** The `scope` parameter of each token request, in order (what the client asked for). */
  readonly tokenRequests: { clientId: string; scope: string | undefined; resource: string | undefined }[];
  close(): Promise<void>;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `k-${crypto.randomUUID().slice(0, 8)}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startOAuthStandIn(options: { audience?: string; scopes?: string[] } = {}): Promise<OAuthStandIn> {
  const published: SigningKey[] = [await newKey()];
  let current = published[0]!;
  let jwksFetches = 0;
  const clients = new Map<string, { secret: string; scopes: string[] | undefined }>();
  const tokenRequests: OAuthStandIn['tokenRequests'] = [];

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'server_error', error_description: error.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const standIn: OAuthStandIn = {
    issuer,
    jwksUrl: `${issuer}/jwks.json`,
    tokenEndpoint: `${issuer}/token`,
    get jwksFetches() {
      return jwksFetches;
    },
    get currentKid() {
      return current.kid;
    },
    audience: options.audience ?? 'http://127.0.0.1/mcp',
    addClient: (id, secret, scopes) => void clients.set(id, { secret, scopes }),
    tokenRequests,
    mint: (claims, mintOptions) => sign(current, claims, mintOptions),
    async rotate({ retire = false } = {}) {
      const next = await newKey();
      if (retire) published.splice(0, published.length);
      published.push(next);
      current = next;
      return next.kid;
    },
    async unpublishedKey() {
      const key = await newKey();
      return { kid: key.kid, mint: (claims, mintOptions) => sign(key, claims, mintOptions), publish: () => void published.push(key) };
    },
    algNone(claims, mintOptions) {
      return `${b64url({ alg: 'none', typ: 'JWT', kid: current.kid })}.${b64url(payload(claims, mintOptions))}.`;
    },
    async hs256WithPublicKey(claims, mintOptions) {
      const secret = new TextEncoder().encode(await exportSPKI(current.publicKey));
      return new SignJWT(payload(claims, mintOptions)).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: current.kid }).sign(secret);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  function payload(claims: JWTPayload = {}, mintOptions: MintOptions = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = mintOptions.expiresIn === undefined ? 300 : mintOptions.expiresIn;
    return {
      iss: mintOptions.issuer ?? issuer,
      aud: mintOptions.audience ?? standIn.audience,
      sub: mintOptions.subject ?? 'user-1',
      iat: now,
      ...(expiresIn === null ? {} : { exp: now + expiresIn }),
      ...(mintOptions.notBefore === undefined ? {} : { nbf: now + mintOptions.notBefore }),
      ...(mintOptions.scope === undefined ? {} : { scope: mintOptions.scope }),
      ...(mintOptions.clientId === undefined ? {} : { client_id: mintOptions.clientId }),
      jti: crypto.randomUUID(),
      ...claims,
    };
  }

  async function sign(key: SigningKey, claims?: JWTPayload, mintOptions: MintOptions = {}): Promise<string> {
    return new SignJWT(payload(claims, mintOptions)).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: mintOptions.kid ?? key.kid }).sign(key.privateKey);
  }

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', issuer);
    if (request.method === 'GET' && (url.pathname === '/.well-known/oauth-authorization-server' || url.pathname === '/.well-known/openid-configuration')) {
      return send(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: standIn.tokenEndpoint,
        jwks_uri: standIn.jwksUrl,
        response_types_supported: ['code'],
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        ...(options.scopes ? { scopes_supported: options.scopes } : {}),
      });
    }
    if (request.method === 'GET' && url.pathname === '/jwks.json') {
      jwksFetches += 1;
      return send(response, 200, { keys: published.map((key) => key.publicJwk) });
    }
    if (request.method === 'POST' && url.pathname === '/token') return token(request, response);
    send(response, 404, { error: 'not_found' });
  }

  /** client_credentials with client_secret_basic; `resource` (RFC 8707) becomes the audience. */
  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
    const [clientId, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map(decodeURIComponent) : [];
    const client = clientId ? clients.get(clientId) : undefined;
    if (!clientId || !client || client.secret !== secret) return send(response, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic' });
    if (form.get('grant_type') !== 'client_credentials') return send(response, 400, { error: 'unsupported_grant_type' });
    const requested = form.get('scope') ?? undefined;
    const resource = form.get('resource') ?? undefined;
    tokenRequests.push({ clientId, scope: requested, resource });
    // Grant what was asked for, within what the client is registered for (like a real authorization server).
    const granted = requested?.split(' ').filter((item) => item && (client.scopes === undefined || client.scopes.includes(item)));
    const scope = granted && granted.length > 0 ? granted.join(' ') : undefined;
    const accessToken = await sign(current, {}, { subject: clientId, clientId, scope, ...(resource ? { audience: resource } : {}) });
    send(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, ...(scope ? { scope } : {}) });
  }

  return standIn;
}
