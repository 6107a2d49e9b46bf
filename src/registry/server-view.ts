import type { ServerRow } from '../db/schema.ts';
import { redact } from '../shared/redact.ts';
import { prefixOf } from './composed-names.ts';

/**
 * A servers row as every reader outside SQL is shown it (GET /servers, the
 * management tools): the effective tool prefix, and the OAuth settings with
 * anything credential-like redacted.
 */
export function serverSettings(row: ServerRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    port: row.port,
    enabled: row.enabled,
    toolPrefix: prefixOf(row),
    compose: row.compose,
    rateLimit: row.rateLimit,
    auth: redact(row.auth ?? null) as Record<string, unknown> | null,
  };
}
