import * as v from 'valibot';
import type { ApiKeyStore, StoredApiKey } from '../db/api-key-store.ts';
import type { AuditEntry } from '../observability/audit-entry.ts';
import { type ActorInput, type AuditRecorder, actorColumns, auditedWrite, type WriteActor, writeActor } from '../observability/audit-write.ts';
import { AppError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { parseOrThrow } from '../shared/validation.ts';
import { parseDuration } from './duration.ts';
import { generateKey, looksLikeKey, PREFIX_PATTERN, splitKey } from './key-format.ts';
import { formatRateSpec, parseRateSpec } from './rate-spec.ts';
import { formatScopes, parseScopes } from './scopes.ts';

/**
 * Managing API keys (REST /keys and `toolport keys`): create — the full key
 * is in the answer of create and nowhere else, ever —, list and revoke.
 * Neither the secret nor its hash is ever in what these return or log.
 * Create and revoke are audited (key.create / key.revoke, details: the
 * key's id, name, prefix and scopes; a refused one with its error code).
 */

/** A key as lists and answers show it. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rateLimit: string | null;
  status: 'active' | 'revoked' | 'expired';
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyView {
  /** `tp_<prefix>_<secret>`: shown this once. */
  key: string;
}

export interface CreateKeyInput {
  name: string;
  scopes: string[];
  /** A lifetime: `30d`, `12h`, `90m`, `2w`. */
  expiresIn?: string | undefined;
  /** The key's own rate limit: `600/min`. */
  rate?: string | undefined;
}

export const CreateKeyBody = v.strictObject({
  name: v.pipe(
    v.string('must be text'),
    v.trim(),
    v.minLength(1, 'must not be empty'),
    v.maxLength(128, 'must be at most 128 characters'),
    v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
  ),
  scopes: v.pipe(
    v.array(v.string('must be text'), 'must be an array of scope texts'),
    v.minLength(1, 'needs at least one scope'),
    v.maxLength(100, 'at most 100 scopes'),
  ),
  expiresIn: v.optional(v.string('must be text like 30d or 12h')),
  rate: v.optional(v.string('must be text like 600/min')),
});

/** A POST /keys body (or the CLI's flags as one): every problem named by its path. */
export function parseCreateKeyBody(body: unknown): CreateKeyInput {
  return parseOrThrow(CreateKeyBody, body, 'key');
}

export function keyView(key: StoredApiKey, now: number): ApiKeyView {
  const status = key.revokedAt ? 'revoked' : key.expiresAt && key.expiresAt.getTime() <= now ? 'expired' : 'active';
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: [...key.scopes],
    rateLimit: key.rateLimit,
    status,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
  };
}

/** What revoke accepts: a key id, a prefix, or the full key (its prefix is used; the secret is not looked at). */
function refOf(text: string): string {
  const ref = text.trim();
  if (looksLikeKey(ref)) {
    const parts = splitKey(ref);
    if (!parts) throw new AppError('bad_request', 'That is not a whole API key: give the key id, its 8-character prefix, or the full tp_… key');
    return parts.prefix;
  }
  return ref;
}

function notFound(ref: string): AppError {
  const shown = JSON.stringify(ref.length > 64 ? `${ref.slice(0, 64)}…` : ref);
  return new AppError('not_found', `No API key ${shown}: give a key id (uuid) or its 8-character prefix (GET /keys lists them)`);
}

export interface ApiKeysDeps {
  store: ApiKeyStore;
  logger: Logger;
  /** Called after every change (the process's own KeyRing.reload), so it does not wait for the change feed. */
  onChange?: () => Promise<void>;
  now?: () => number;
  /** Where key.create / key.revoke entries go (the process's AuditLog); none: not audited. */
  audit?: AuditRecorder | undefined;
}

/** What an entry says about a key: never the secret, never its hash. */
function keyDetails(key: Pick<ApiKeyView, 'id' | 'name' | 'prefix' | 'scopes' | 'rateLimit'>): Record<string, unknown> {
  return { keyId: key.id, name: key.name, prefix: key.prefix, scopes: [...key.scopes], rateLimit: key.rateLimit };
}

/** The prefix is random (40 bits); a collision is rare, and another draw resolves it. */
const PREFIX_ATTEMPTS = 5;

export class ApiKeys {
  private readonly now: () => number;

  constructor(private readonly deps: ApiKeysDeps) {
    this.now = deps.now ?? Date.now;
  }

  async create(by: ActorInput, input: CreateKeyInput): Promise<CreatedApiKey> {
    const who = writeActor(by);
    const name = (input as { name?: unknown } | null)?.name;
    return auditedWrite(
      this.deps.audit,
      ({ outcome, details }) => this.entry(who, 'key.create', outcome, { ...(typeof name === 'string' ? { name: name.slice(0, 128) } : {}), ...details }),
      async () => {
        const created = await this.createKey(who.actor, input);
        return { result: created, entry: this.entry(who, 'key.create', 'ok', keyDetails(created)) };
      },
    );
  }

  private async createKey(actor: string, input: CreateKeyInput): Promise<CreatedApiKey> {
    const { name, scopes: texts, rate, expiresIn } = parseCreateKeyBody(input);
    const scopes = formatScopes(parseScopes(texts));
    const rateLimit = rate === undefined ? null : formatRateSpec(parseRateSpec(rate, '/rate'));
    const expiresAt = expiresIn === undefined ? null : new Date(this.now() + parseDuration(expiresIn, '/expiresIn'));
    for (let attempt = 0; attempt < PREFIX_ATTEMPTS; attempt++) {
      const generated = generateKey();
      const stored = await this.deps.store.insert(actor, { name, prefix: generated.prefix, secretHash: generated.secretHash, scopes, rateLimit, expiresAt });
      if (!stored) continue;
      this.deps.logger.info('api key created', { id: stored.id, name, prefix: stored.prefix, scopes, rateLimit, expiresAt: expiresAt?.toISOString(), actor });
      await this.changed();
      return { key: generated.key, ...keyView(stored, this.now()) };
    }
    throw new AppError('internal', `No free key prefix after ${PREFIX_ATTEMPTS} draws`);
  }

  async list(): Promise<ApiKeyView[]> {
    const now = this.now();
    return (await this.deps.store.list()).map((key) => keyView(key, now));
  }

  async get(refText: string): Promise<ApiKeyView> {
    const ref = refOf(refText);
    const key = await this.deps.store.find(ref);
    if (!key) throw notFound(ref);
    return keyView(key, this.now());
  }

  /** Revoke by id or prefix; revoking a revoked key again is not an error (it keeps its first revocation time). */
  async revoke(by: ActorInput, refText: string): Promise<ApiKeyView> {
    const who = writeActor(by);
    // The reference as given may be a whole key: only its prefix part is kept.
    const ref = String(refText ?? '').trim();
    const shown = looksLikeKey(ref) ? (splitKey(ref)?.prefix ?? '(a malformed key)') : ref.slice(0, 64);
    return auditedWrite(
      this.deps.audit,
      ({ outcome, details }) => this.entry(who, 'key.revoke', outcome, { ref: shown, ...details }),
      async () => {
        const revoked = await this.revokeKey(who.actor, refText);
        return { result: revoked, entry: this.entry(who, 'key.revoke', 'ok', keyDetails(revoked)) };
      },
    );
  }

  private async revokeKey(actor: string, refText: string): Promise<ApiKeyView> {
    const ref = refOf(refText);
    if (!PREFIX_PATTERN.test(ref) && !/^[0-9a-f-]{36}$/i.test(ref)) throw notFound(ref);
    const revoked = await this.deps.store.revoke(actor, ref);
    if (!revoked) throw notFound(ref);
    this.deps.logger.info('api key revoked', { id: revoked.id, name: revoked.name, prefix: revoked.prefix, actor });
    await this.changed();
    return keyView(revoked, this.now());
  }

  private entry(who: WriteActor, action: string, outcome: string, details: Record<string, unknown>): AuditEntry {
    return { ...actorColumns(who), action, outcome, details };
  }

  private async changed(): Promise<void> {
    try {
      await this.deps.onChange?.();
    } catch (error) {
      // The change feed reloads too; a failed local reload only delays the effect here.
      this.deps.logger.warn('reloading API keys after a change failed', { error: (error as Error)?.message ?? String(error) });
    }
  }
}
