import { timingSafeEqual } from 'node:crypto';
import type { ApiKeyCredential, ApiKeyStore } from '../db/api-key-store.ts';
import type { Logger } from '../shared/logger.ts';
import { hashSecret, splitKey } from './key-format.ts';
import type { Principal, RateSpec, Scope } from './principal.ts';
import { parseRateSpec } from './rate-spec.ts';
import { parseScope } from './scopes.ts';

/**
 * Every API key of the database, in memory: a presented key resolves to its
 * Principal without a database round trip (the call path must not wait on
 * the database, and keeps working through an outage). Loaded at start and
 * re-read on every api_keys change (the change feed calls reload()); the
 * last use of each key is kept in memory and written in one statement per
 * flush, off the call path.
 */
export type KeyRejection = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type KeyResolution = { ok: true; principal: Principal } | { ok: false; reason: KeyRejection; message: string };

interface RingEntry {
  id: string;
  hash: Buffer;
  revoked: boolean;
  /** Epoch ms; undefined: never expires. */
  expiresAt: number | undefined;
  /** Built once per load: resolving allocates nothing. */
  principal: Principal;
}

const MESSAGES: Record<KeyRejection, string> = {
  malformed: 'The bearer token is not a well-formed API key (tp_<8 characters>_<32 characters>)',
  unknown: 'The API key is not valid',
  revoked: 'The API key has been revoked',
  expired: 'The API key has expired',
};

/** Compared against when the prefix is unknown, so that case costs the same hash and compare. */
const DUMMY_HASH = hashSecret('toolport-no-such-key');

export interface KeyRingOptions {
  store: Pick<ApiKeyStore, 'credentials' | 'touchUsage'>;
  logger: Logger;
  /** How often start()'s timer writes last_used_at. */
  flushEveryMs?: number;
  now?: () => number;
}

export class KeyRing {
  private entries = new Map<string, RingEntry>();
  /** The same entries by key id (admin UI sessions name their key by id). */
  private byKeyId = new Map<string, RingEntry>();
  /** key id → last successful use (epoch ms) since the last flush. */
  private used = new Map<string, number>();
  private loading: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<number> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: KeyRingOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Keys known (any status). */
  get size(): number {
    return this.entries.size;
  }

  /** Load the keys and start the usage timer. */
  async start(): Promise<void> {
    await this.reload();
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.flushUsage().catch((error) => this.options.logger.warn('writing API key usage failed; kept for the next flush', { error: message(error) }));
    }, this.options.flushEveryMs ?? 60_000);
    this.timer.unref();
  }

  /** Stop the timer and write what is pending (a failure is logged, not thrown: shutdown goes on). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.flushUsage();
    } catch (error) {
      this.options.logger.warn('writing API key usage at shutdown failed', { error: message(error), keys: this.used.size });
    }
  }

  /**
   * Re-read every key. A call while a read is in flight runs one more read
   * after it (that read may predate the change that prompted the call);
   * calls meanwhile share it.
   */
  reload(): Promise<void> {
    if (this.loading) {
      this.again ??= this.loading.then(() => {
        this.again = undefined;
        return this.reload();
      });
      return this.again;
    }
    this.loading = this.read().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async read(): Promise<void> {
    const rows = await this.options.store.credentials();
    const entries = new Map<string, RingEntry>();
    const byKeyId = new Map<string, RingEntry>();
    for (const row of rows) {
      const entry = this.entry(row);
      entries.set(row.prefix, entry);
      byKeyId.set(row.id, entry);
    }
    this.entries = entries;
    this.byKeyId = byKeyId;
  }

  private entry(row: ApiKeyCredential): RingEntry {
    // A scope or rate edited in SQL into something unparseable is dropped (fail closed) and said in the log.
    const scopes: Scope[] = [];
    for (const text of row.scopes) {
      try {
        scopes.push(parseScope(text));
      } catch (error) {
        this.options.logger.warn('API key scope ignored: not valid', { id: row.id, prefix: row.prefix, scope: text, error: message(error) });
      }
    }
    let rateLimit: RateSpec | undefined;
    if (row.rateLimit !== null) {
      try {
        rateLimit = parseRateSpec(row.rateLimit);
      } catch (error) {
        this.options.logger.warn('API key rate limit ignored: not valid', { id: row.id, prefix: row.prefix, rateLimit: row.rateLimit, error: message(error) });
      }
    }
    const principal: Principal = Object.freeze({
      kind: 'key',
      actor: `key:${row.id}`,
      name: row.name,
      keyId: row.id,
      scopes: Object.freeze(scopes),
      ...(rateLimit ? { rateLimit: Object.freeze(rateLimit) } : {}),
    });
    return {
      id: row.id,
      hash: Buffer.from(row.secretHash, 'hex'),
      revoked: row.revokedAt !== null,
      expiresAt: row.expiresAt?.getTime(),
      principal,
    };
  }

  /**
   * A presented key → its Principal, or why not. The secret is hashed and
   * compared in constant time whether or not the prefix is known; revoked
   * and expired are said only to a holder of the right secret (anyone else
   * hears `unknown`, and learns nothing about which prefixes exist).
   */
  resolve(presented: string): KeyResolution {
    const parts = splitKey(presented);
    if (!parts) return { ok: false, reason: 'malformed', message: MESSAGES.malformed };
    const entry = this.entries.get(parts.prefix);
    const matches = timingSafeEqual(hashSecret(parts.secret), entry?.hash.length === 32 ? entry.hash : DUMMY_HASH);
    if (!entry || !matches) return { ok: false, reason: 'unknown', message: MESSAGES.unknown };
    if (entry.revoked) return { ok: false, reason: 'revoked', message: MESSAGES.revoked };
    const now = this.now();
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) return { ok: false, reason: 'expired', message: MESSAGES.expired };
    this.used.set(entry.id, now);
    return { ok: true, principal: entry.principal };
  }

  /**
   * The key with this id as it is now (an admin UI session made with it is
   * worth what the key is: revoked, expired or deleted, refused), without
   * its secret: the caller proved that once, at sign-in.
   */
  byId(id: string): KeyResolution {
    const entry = this.byKeyId.get(id);
    if (!entry) return { ok: false, reason: 'unknown', message: MESSAGES.unknown };
    if (entry.revoked) return { ok: false, reason: 'revoked', message: MESSAGES.revoked };
    const now = this.now();
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) return { ok: false, reason: 'expired', message: MESSAGES.expired };
    this.used.set(entry.id, now);
    return { ok: true, principal: entry.principal };
  }

  /** Write last_used_at of every key used since the last flush, in one statement; what fails is kept for the next. */
  flushUsage(): Promise<number> {
    // One flush at a time: a second caller waits for the one running, then flushes what came in meanwhile.
    const run = (this.flushing ?? Promise.resolve(0)).then(
      () => this.flushOnce(),
      () => this.flushOnce(),
    );
    const settled = run.then(
      () => 0,
      () => 0,
    ); // never rejects: only the caller of flushUsage hears a failure
    this.flushing = settled;
    void settled.then(() => {
      if (this.flushing === settled) this.flushing = undefined;
    });
    return run;
  }

  private async flushOnce(): Promise<number> {
    if (this.used.size === 0) return 0;
    const batch = this.used;
    this.used = new Map();
    try {
      return await this.options.store.touchUsage(new Map([...batch].map(([id, at]) => [id, new Date(at)])));
    } catch (error) {
      for (const [id, at] of batch) if ((this.used.get(id) ?? 0) < at) this.used.set(id, at);
      throw error;
    }
  }
}

function message(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
