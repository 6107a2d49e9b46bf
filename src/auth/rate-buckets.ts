import type { RateSpec } from './principal.ts';

/**
 * Which shared buckets one call draws from. A limit per key, per tool and per
 * server is the same token bucket under a different key; a call must find a
 * token in every bucket that applies (RateLimiter.takeAll), and a refusal
 * names the strictest one.
 */

/** One bucket a call draws a token from: its shared key and its limit. */
export interface BucketCheck {
  /** `key:<api key id>`, `server:<server id>` or `tool:<server id>/<tool name>`. */
  key: string;
  spec: RateSpec;
}

export interface CallLimits {
  /** The API key's id (Principal.keyId) and its own limit (Principal.rateLimit). */
  keyId?: string | undefined;
  keyRate?: RateSpec | undefined;
  server: string;
  /** servers.rate_limit, parsed. */
  serverRate?: RateSpec | undefined;
  tool: string;
  /** tools.rate_limit, parsed. */
  toolRate?: RateSpec | undefined;
}

export const keyBucket = (keyId: string): string => `key:${keyId}`;
export const serverBucket = (server: string): string => `server:${server}`;
/** Tool and server names never contain `/` (the name rule), so the key is unambiguous. */
export const toolBucket = (server: string, tool: string): string => `tool:${server}/${tool}`;

/** The buckets that apply to one call (none when nothing is limited): the key's, the tool's, the server's. */
export function bucketsFor(limits: CallLimits): BucketCheck[] {
  const checks: BucketCheck[] = [];
  if (limits.keyId !== undefined && limits.keyRate) checks.push({ key: keyBucket(limits.keyId), spec: limits.keyRate });
  if (limits.toolRate) checks.push({ key: toolBucket(limits.server, limits.tool), spec: limits.toolRate });
  if (limits.serverRate) checks.push({ key: serverBucket(limits.server), spec: limits.serverRate });
  return checks;
}
