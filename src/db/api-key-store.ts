import { asc, eq, sql } from 'drizzle-orm';
import { AppError } from '../shared/errors.ts';
import { type Db, rowCount } from './client.ts';
import { type ApiKeyRow, apiKeys } from './schema.ts';

/**
 * Reads and writes of the `api_keys` table. Two shapes on purpose: what may
 * be shown (StoredApiKey: never the hash) and what the key ring needs to
 * check a presented key (ApiKeyCredential: the hash too). Scopes and the rate
 * limit stay text here; src/auth/ parses them.
 */
export interface StoredApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rateLimit: string | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface ApiKeyCredential extends StoredApiKey {
  /** Hex SHA-256 of the secret part. */
  secretHash: string;
}

export interface NewApiKey {
  name: string;
  prefix: string;
  secretHash: string;
  scopes: string[];
  rateLimit: string | null;
  expiresAt: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function date(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

function shown(row: Omit<ApiKeyRow, 'secretHash'>): StoredApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: [...row.scopes],
    rateLimit: row.rateLimit,
    expiresAt: date(row.expiresAt),
    revokedAt: date(row.revokedAt),
    createdAt: date(row.createdAt)!,
    lastUsedAt: date(row.lastUsedAt),
  };
}

/** The columns that may be shown: every one but secret_hash (selected explicitly, so a list can never carry it). */
const SHOWN = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  rateLimit: apiKeys.rateLimit,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

/** A constraint violation as an AppError (never the driver's text: it may quote the row). */
function translated(error: unknown): unknown {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === '23514')
      return new AppError('bad_request', 'The api_keys row breaks a check constraint (name 1–128 characters, scopes not empty, rate like 600/min)');
    current = (current as { cause?: unknown }).cause;
  }
  return error;
}

/** Flushes of last_used_at are chunked so one statement's parameter list stays bounded. */
const USAGE_CHUNK = 500;

export class ApiKeyStore {
  constructor(private readonly db: Db) {}

  /**
   * Insert a key with `toolport.actor` set for the change-log trigger.
   * Resolves to undefined when the prefix is taken (the caller draws
   * another): ON CONFLICT keeps the transaction usable.
   */
  async insert(actor: string, key: NewApiKey): Promise<StoredApiKey | undefined> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('toolport.actor', ${actor}, true)`);
        const [row] = await tx.insert(apiKeys).values(key).onConflictDoNothing({ target: apiKeys.prefix }).returning();
        return row ? shown(row) : undefined;
      });
    } catch (error) {
      throw translated(error);
    }
  }

  /** Every key, revoked and expired ones included, oldest first; never the hash. */
  async list(): Promise<StoredApiKey[]> {
    const rows = await this.db.select(SHOWN).from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.prefix));
    return rows.map((row) => shown(row));
  }

  /** A key by its id (a uuid) or its prefix; never the hash. */
  async find(ref: string): Promise<StoredApiKey | undefined> {
    const [row] = await this.db
      .select(SHOWN)
      .from(apiKeys)
      .where(UUID.test(ref) ? eq(apiKeys.id, ref.toLowerCase()) : eq(apiKeys.prefix, ref));
    return row ? shown(row) : undefined;
  }

  /** Set revoked_at (once: a revoked key keeps its first revocation time). Undefined when there is no such key. */
  async revoke(actor: string, ref: string): Promise<StoredApiKey | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('toolport.actor', ${actor}, true)`);
      const match = UUID.test(ref) ? eq(apiKeys.id, ref.toLowerCase()) : eq(apiKeys.prefix, ref);
      const [row] = await tx
        .update(apiKeys)
        .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
        .where(match)
        .returning(SHOWN);
      return row ? shown(row) : undefined;
    });
  }

  /** Every key with its hash, for the in-memory key ring (revoked and expired ones too, so a refusal can say why). */
  async credentials(): Promise<ApiKeyCredential[]> {
    const rows = await this.db.select().from(apiKeys);
    return rows.map((row) => ({ ...shown(row), secretHash: row.secretHash }));
  }

  /**
   * Record when keys were last used: one UPDATE per chunk of keys, never
   * moving last_used_at backwards (two replicas flush independently). It
   * touches only last_used_at, which the change-log trigger ignores.
   */
  async touchUsage(usage: ReadonlyMap<string, Date>): Promise<number> {
    const entries = [...usage];
    let updated = 0;
    for (let start = 0; start < entries.length; start += USAGE_CHUNK) {
      const chunk = entries.slice(start, start + USAGE_CHUNK);
      const values = sql.join(
        chunk.map(([id, at]) => sql`(${id}::uuid, ${at.toISOString()}::timestamptz)`),
        sql`, `,
      );
      const result = await this.db.execute(sql`
        update api_keys as k
           set last_used_at = greatest(coalesce(k.last_used_at, u.at), u.at)
          from (values ${values}) as u(id, at)
         where k.id = u.id
        returning k.id`);
      updated += rowCount(result);
    }
    return updated;
  }
}
