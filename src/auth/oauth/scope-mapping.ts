import type { Scope } from '../principal.ts';
import { parseScope, ScopeError } from '../scopes.ts';

/**
 * Toolport scope strings (`<server|*>:<action>[:<tool-glob>]`, or `admin`)
 * on the right-hand side of an OAuth scope mapping: parsed by the one scope
 * grammar of src/auth/scopes.ts (the API keys' too), so a mapping can grant
 * exactly what a key can, no more.
 */
export function parseToolportScope(text: string): Scope | string {
  try {
    return parseScope(text);
  } catch (error) {
    if (error instanceof ScopeError) return error.message.replace(/^Scope .* is not valid: /, '');
    throw error;
  }
}

/** The Toolport scopes granted by a token's OAuth scopes, through the server's mapping (unknown OAuth scopes grant nothing). */
export function mapOAuthScopes(tokenScopes: readonly string[], mapping: ReadonlyMap<string, readonly Scope[]>): Scope[] {
  const granted: Scope[] = [];
  const seen = new Set<string>();
  for (const oauthScope of tokenScopes) {
    for (const scope of mapping.get(oauthScope) ?? []) {
      const key = `${scope.server}:${scope.action}:${scope.toolGlob ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      granted.push(scope);
    }
  }
  return granted;
}
