import { AccessControl } from '../auth/access.ts';
import { ApiKeys } from '../auth/api-keys.ts';
import { KeyRing } from '../auth/key-ring.ts';
import type { OAuthVerifierOptions } from '../auth/oauth/verifier.ts';
import { type AuthPolicyDecision, authPolicy } from '../auth/policy.ts';
import { RateLimiter } from '../auth/rate-limiter.ts';
import { UiSessions } from '../auth/ui-sessions.ts';
import { ApiKeyStore } from '../db/api-key-store.ts';
import type { AuditStore } from '../db/audit-store.ts';
import type { Database } from '../db/client.ts';
import { createRateLimitStore } from '../db/rate-limit-store.ts';
import { UiSessionStore } from '../db/ui-session-store.ts';
import type { AuditLog } from '../observability/audit-queue.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ToolCaller } from '../registry/call.ts';
import { guardCalls } from '../registry/call-guard.ts';
import type { Registry } from '../registry/registry.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * Who may do what, for one process: the key ring (every API key in memory),
 * the key service behind /keys and `toolport keys`, the OAuth-aware access
 * control of every listener, the shared rate limiter, and the guarded call
 * path built from them with the runtime's audit log (createRuntime makes it;
 * its owner starts and stops it: toolport.ts stops it after this, so it
 * flushes last). Start after the database is migrated; stop after the listeners.
 */
export interface AccessRuntime {
  decision: AuthPolicyDecision;
  access: AccessControl;
  keys: ApiKeys;
  keyRing: KeyRing;
  /** Admin UI sign-ins (the session cookie in place of a key or the admin token). */
  uiSessions: UiSessions;
  limiter: RateLimiter;
  audit: AuditLog;
  auditStore: AuditStore;
  /** The call path with scopes, rate limits and audit around it. */
  caller: ToolCaller;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface AccessRuntimeDeps {
  config: Pick<Config, 'host' | 'auth' | 'adminToken' | 'expectedReplicas'>;
  database: Database;
  registry: Registry;
  caller: ToolCaller;
  logger: Logger;
  /** The runtime's audit log and its store (Runtime.audit / auditStore): used here, not started or stopped here. */
  audit: AuditLog;
  auditStore: AuditStore;
  /** OAuth token verification knobs (JWKS cooldown, cache age); tests shorten them. */
  verifierOptions?: OAuthVerifierOptions | undefined;
  /** Every guarded call is counted and timed here. */
  metrics?: Metrics | undefined;
}

export function createAccessRuntime({
  config,
  database,
  registry,
  caller,
  logger,
  audit,
  auditStore,
  verifierOptions,
  metrics,
}: AccessRuntimeDeps): AccessRuntime {
  const decision = authPolicy({ bindHosts: [config.host], configured: config.auth });
  const keyStore = new ApiKeyStore(database.db);
  const keyRing = new KeyRing({ store: keyStore, logger });
  const keys = new ApiKeys({ store: keyStore, logger, onChange: () => keyRing.reload(), audit });
  const access = new AccessControl({
    decision,
    adminToken: config.adminToken,
    keys: keyRing,
    oauthOf: (serverId) => registry.snapshot(serverId)?.server.auth,
    logger,
    ...(verifierOptions ? { verifierOptions } : {}),
  });
  const limiter = new RateLimiter({ store: createRateLimitStore(database), logger, expectedReplicas: config.expectedReplicas });
  return {
    decision,
    access,
    keys,
    keyRing,
    uiSessions: new UiSessions({ store: new UiSessionStore(database.db), adminToken: config.adminToken, keys: keyRing }),
    limiter,
    audit,
    auditStore,
    caller: guardCalls(caller, { registry, limiter, audit, metrics }),
    async start() {
      await keyRing.start();
    },
    async stop() {
      await Promise.allSettled([keyRing.stop(), limiter.stop()]);
    },
  };
}
