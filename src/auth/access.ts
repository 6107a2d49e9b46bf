import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { type CredentialDeps, credentialResolver } from './credential.ts';
import { looksLikeKey } from './key-format.ts';
import { bearerToken, challengeFor, insufficientScope } from './oauth/challenge.ts';
import { type OAuthSettings, parseOAuthSettings } from './oauth/settings.ts';
import { createOAuthVerifier, type OAuthVerifier, type OAuthVerifierOptions } from './oauth/verifier.ts';
import type { AuthPolicyDecision } from './policy.ts';
import type { Principal } from './principal.ts';

/**
 * Who is calling one server, for REST and /mcp alike: the one place a
 * request's `Authorization` header becomes a Principal or a refusal.
 *
 * - A server without OAuth settings (`servers.auth` null): the admin token,
 *   an API key (resolved in memory by the key ring), or — under
 *   TOOLPORT_AUTH=local-open — nothing at all from loopback.
 * - A server with OAuth settings: a JWT access token from its authorization
 *   server (verified with jose against the JWKS), and API keys and the admin
 *   token too unless `acceptKeys` is false. Such a server challenges every
 *   request without a credential, loopback included: it chose OAuth, and an
 *   MCP client only starts its sign-in on a 401.
 *
 * A wrong credential is always refused, never treated as none.
 */
export interface AccessControlDeps extends Omit<CredentialDeps, 'policy'> {
  decision: AuthPolicyDecision;
  /** The server's `servers.auth` as stored (null/undefined: no OAuth). Read per request: a change goes live with the snapshot. */
  oauthOf(serverId: string): unknown;
  logger: Logger;
  verifierOptions?: OAuthVerifierOptions;
}

export type AccessOutcome =
  | { ok: true; principal: Principal }
  /** `error.status` is the HTTP status (401, 403, 503); `challenge` the WWW-Authenticate value, when there is one. */
  | { ok: false; error: AppError; challenge: string | undefined };

type SettingsState = { settings: OAuthSettings; verifier: OAuthVerifier } | { invalid: string };

export class AccessControl {
  private readonly resolve: ReturnType<typeof credentialResolver>;
  /** Parsed settings and their verifier (with its JWKS cache), by the stored JSON text. */
  private readonly states = new Map<string, SettingsState>();
  private readonly byObject = new WeakMap<object, SettingsState>();

  constructor(private readonly deps: AccessControlDeps) {
    this.resolve = credentialResolver({ ...deps, policy: deps.decision.policy });
  }

  get policy(): AuthPolicyDecision {
    return this.deps.decision;
  }

  /** The server's valid OAuth settings, or undefined (none, or invalid ones: logged, and OAuth tokens are refused with 503). */
  oauthSettings(serverId: string): OAuthSettings | undefined {
    const state = this.state(serverId);
    return state && 'settings' in state ? state.settings : undefined;
  }

  /** The 403 challenge for a caller that lacks `scope` on this server (RFC 6750 insufficient_scope; with resource_metadata under OAuth). */
  insufficientScopeChallenge(serverId: string, scope: string): string {
    const settings = this.oauthSettings(serverId);
    if (!settings) return `Bearer error="insufficient_scope", scope="${scope}"`;
    // The OAuth scopes whose mapping grants something on this server are the ones to step up to.
    const candidates = Object.keys(settings.scopes);
    return insufficientScope(settings, candidates, `This operation needs the Toolport scope ${scope}`);
  }

  authenticate(serverId: string, authorization: string | undefined, loopback: () => boolean): AccessOutcome | Promise<AccessOutcome> {
    const state = this.state(serverId);
    if (!state) return this.resolve(authorization, loopback);
    if ('invalid' in state) {
      // Keys still work (when the settings cannot say otherwise, they are accepted); tokens cannot be checked.
      const outcome = this.resolve(authorization, () => false);
      if (outcome.ok || authorization === undefined || looksLikeKey(bearerToken(authorization) ?? '')) return outcome;
      return {
        ok: false,
        error: new AppError('unavailable', `The OAuth settings of server "${serverId}" are invalid (${state.invalid}); fix servers.auth`),
        challenge: undefined,
      };
    }
    return this.withOAuth(state, authorization);
  }

  private async withOAuth(
    { settings, verifier }: { settings: OAuthSettings; verifier: OAuthVerifier },
    authorization: string | undefined,
  ): Promise<AccessOutcome> {
    const refuse = (answer: ReturnType<typeof challengeFor>): AccessOutcome => ({
      ok: false,
      error: new AppError(answer.code, answer.message),
      challenge: answer.header,
    });
    if (authorization === undefined || authorization.trim() === '') return refuse(challengeFor(settings));
    const token = bearerToken(authorization);
    if (token === undefined) {
      return refuse({
        ...challengeFor(settings, { error: 'invalid_token', reason: 'malformed', message: 'Malformed Authorization header: expected "Bearer <token>"' }),
      });
    }
    if (settings.acceptKeys) {
      const outcome = this.resolve(authorization, () => false);
      if (outcome.ok) return outcome;
      if (looksLikeKey(token)) return refuse(challengeFor(settings, { error: 'invalid_token', reason: 'malformed', message: outcome.error.message }));
    }
    const verified = await verifier.verify(token);
    if (verified.ok) return { ok: true, principal: verified.principal };
    if (verified.failure.error === 'unavailable')
      this.deps.logger.warn('OAuth signing keys could not be fetched', { issuer: settings.issuer, jwksUrl: settings.jwksUrl });
    return refuse(challengeFor(settings, verified.failure));
  }

  private state(serverId: string): SettingsState | undefined {
    const raw = this.deps.oauthOf(serverId);
    if (raw === null || raw === undefined) return undefined;
    // The snapshot's object is the same on every request until its row changes: no JSON text per request.
    const known = typeof raw === 'object' ? this.byObject.get(raw) : undefined;
    if (known) return known;
    const text = JSON.stringify(raw);
    let state = this.states.get(text);
    if (!state) {
      try {
        const settings = parseOAuthSettings(raw);
        state = { settings, verifier: createOAuthVerifier(settings, this.deps.verifierOptions) };
      } catch (error) {
        const message = (error as Error).message;
        this.deps.logger.error('servers.auth is invalid: OAuth tokens are refused on this server until it is fixed', { server: serverId, error: message });
        state = { invalid: message };
      }
      if (this.states.size > 256) this.states.clear();
      this.states.set(text, state);
    }
    if (typeof raw === 'object') this.byObject.set(raw, state);
    return state;
  }
}
