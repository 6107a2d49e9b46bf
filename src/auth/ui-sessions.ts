import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { UiSessionRecord, UiSessionStore } from '../db/ui-session-store.ts';
import { AppError } from '../shared/errors.ts';
import { ADMIN_TOKEN_PRINCIPAL } from './credential.ts';
import type { KeyResolution } from './key-ring.ts';
import type { Principal } from './principal.ts';

/**
 * Admin UI sessions: a credential (an API key or the admin token), checked
 * once at sign-in, is exchanged for a random token kept by the browser in an
 * HttpOnly, SameSite=Strict cookie. The database keeps only the token's
 * SHA-256 (migration 0015). On every request the session is worth what its
 * credential is worth now: a key's scopes as the key ring holds them (a
 * revoked or expired key is refused at once), the admin token only while
 * TOOLPORT_ADMIN_TOKEN is the token the session was made with.
 *
 * Requests that change something must also carry the session's CSRF token
 * (an HMAC of the session token, given to the page by GET /ui/session):
 * SameSite=Strict already keeps the cookie off cross-site requests, and the
 * header is the second lock (OWASP's "signed double submit" pattern).
 */
export interface UiSessionsDeps {
  store: Pick<UiSessionStore, 'insert' | 'find' | 'delete'>;
  /** TOOLPORT_ADMIN_TOKEN as configured now. */
  adminToken: string | undefined;
  /** The key ring (undefined: keys are not accepted, so no key sessions). */
  keys: { byId(id: string): KeyResolution } | undefined;
  /** How long a session lasts from sign-in (default 12 h). */
  ttlMs?: number;
  /** How long a looked-up session is trusted before the table is asked again (sign-out on another process; default 10 s). */
  cacheMs?: number;
  now?: () => number;
}

export type UiSessionOutcome = { ok: true; principal: Principal; expiresAt: Date } | { ok: false; error: AppError };

export interface OpenedUiSession {
  token: string;
  csrf: string;
  expiresAt: Date;
}

export const UI_SESSION_COOKIE = 'toolport_ui';
export const CSRF_HEADER = 'x-csrf-token';
const TOKEN_PREFIX = 'tpui_';
const TOKEN_SHAPE = /^tpui_[A-Za-z0-9_-]{43}$/;
const DEFAULT_TTL_MS = 12 * 60 * 60 * 1000;
const DEFAULT_CACHE_MS = 10_000;
const CACHE_LIMIT = 1000;

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const hmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest();

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const signedOut = (message: string) => ({ ok: false as const, error: new AppError('unauthorized', message, { extra: { reason: 'session' } }) });

export class UiSessions {
  private readonly cache = new Map<string, { record: UiSessionRecord; until: number }>();
  private readonly ttlMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(private readonly deps: UiSessionsDeps) {
    this.ttlMs = deps.ttlMs ?? DEFAULT_TTL_MS;
    this.cacheMs = deps.cacheMs ?? DEFAULT_CACHE_MS;
    this.now = deps.now ?? Date.now;
  }

  /** A new session for a caller whose credential was just checked; only keys and the admin token can sign in. */
  async open(principal: Principal): Promise<OpenedUiSession> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now() + this.ttlMs);
    let record: UiSessionRecord;
    if (principal.kind === 'key' && principal.keyId)
      record = { id: digest(token), actor: principal.actor, keyId: principal.keyId, tokenCheck: null, expiresAt };
    else if (principal.kind === 'admin-token' && this.deps.adminToken !== undefined) {
      record = { id: digest(token), actor: principal.actor, keyId: null, tokenCheck: hmac(token, this.deps.adminToken).toString('hex'), expiresAt };
    } else throw new AppError('bad_request', 'Sign in with an API key or the admin token (an OAuth access token or no credential cannot open a session)');
    await this.deps.store.insert(record);
    return { token, csrf: this.csrfOf(token), expiresAt };
  }

  /** The CSRF token of a session (what the page sends as X-CSRF-Token). */
  csrfOf(token: string): string {
    return hmac(token, 'toolport-ui-csrf').toString('base64url');
  }

  /** Whether `presented` is the CSRF token of the session `token`. */
  csrfMatches(token: string, presented: string | undefined): boolean {
    if (!presented) return false;
    return sameBytes(Buffer.from(presented), Buffer.from(this.csrfOf(token)));
  }

  /** The session cookie's token → who is signed in, or why not (401). */
  async authenticate(token: string): Promise<UiSessionOutcome> {
    if (!TOKEN_SHAPE.test(token)) return signedOut('The session cookie is not valid; sign in again at /ui');
    const record = await this.lookup(digest(token));
    if (!record) return signedOut('The session has ended (signed out or expired); sign in again at /ui');
    if (record.keyId) {
      const key = this.deps.keys?.byId(record.keyId);
      if (!key?.ok) return signedOut(`The session's API key ${key ? `is no longer valid (${key.reason})` : 'is not accepted here'}; sign in again at /ui`);
      return { ok: true, principal: key.principal, expiresAt: record.expiresAt };
    }
    const adminToken = this.deps.adminToken;
    if (adminToken === undefined || !record.tokenCheck || !sameBytes(hmac(token, adminToken), Buffer.from(record.tokenCheck, 'hex'))) {
      return signedOut('The admin token this session was opened with is no longer the configured one; sign in again at /ui');
    }
    return { ok: true, principal: ADMIN_TOKEN_PRINCIPAL, expiresAt: record.expiresAt };
  }

  /** Sign-out: the row goes (every process refuses the cookie within the cache time), this process forgets it at once. */
  async close(token: string): Promise<boolean> {
    if (!TOKEN_SHAPE.test(token)) return false;
    const id = digest(token);
    this.cache.delete(id);
    return this.deps.store.delete(id);
  }

  private async lookup(id: string): Promise<UiSessionRecord | undefined> {
    const now = this.now();
    const cached = this.cache.get(id);
    if (cached && cached.until > now && cached.record.expiresAt.getTime() > now) return cached.record;
    const record = await this.deps.store.find(id);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    if (record) this.cache.set(id, { record, until: now + this.cacheMs });
    else this.cache.delete(id);
    return record;
  }
}
