import type { Principal, RateSpec } from '../auth/principal.ts';
import { bucketsFor } from '../auth/rate-buckets.ts';
import type { Refusal, TakeResult } from '../auth/rate-limiter.ts';
import { formatRateSpec, tryParseRateSpec } from '../auth/rate-spec.ts';
import { allows, neededScope } from '../auth/scopes.ts';
import type { AuditEntry } from '../observability/audit-entry.ts';
import { AppError, isAppError } from '../shared/errors.ts';
import type { ToolCaller } from './call.ts';
import type { Registry } from './registry.ts';

/**
 * Access around the one call path, the same for REST, /mcp (both eras, the
 * fast path) and stdio: the caller's `call` scope on the tool (a tool it
 * cannot see never gets here — its scoped catalog does not resolve it, so it
 * answers like an unknown tool), the rate limits that apply (the key's, the
 * tool's, the server's: shared token buckets, leased in chunks, no database
 * round trip while a lease lasts), then the call, then one audit entry
 * (queued; written in batches off the call path) whatever the outcome.
 */
export interface CallGuardDeps {
  registry: Pick<Registry, 'snapshot'>;
  limiter: { admit(checks: ReturnType<typeof bucketsFor>): Promise<TakeResult> } | undefined;
  audit: { record(entry: AuditEntry): void } | undefined;
  /** Counted and timed per call (observability/metrics.ts); a name that resolves to no tool is `(unknown)`. */
  metrics?: { call(server: string | null, tool: string, outcome: string, seconds: number): void } | undefined;
}

/** Stored rate-limit texts are checked by the database (CHECK) and on write; one that still does not parse limits nothing. */
const specs = new Map<string, RateSpec | undefined>();
function specOf(text: string | null | undefined): RateSpec | undefined {
  if (!text) return undefined;
  if (!specs.has(text)) {
    if (specs.size > 10_000) specs.clear();
    specs.set(text, tryParseRateSpec(text));
  }
  return specs.get(text);
}

function whose(bucket: string): string {
  if (bucket.startsWith('key:')) return "this API key's";
  if (bucket.startsWith('tool:')) return `tool "${bucket.slice(bucket.indexOf('/') + 1)}"'s`;
  return `server "${bucket.slice('server:'.length)}"'s`;
}

/** The refusal as the error every adapter shows: REST 429 with Retry-After, MCP a JSON-RPC error with the delay in `data`. */
export function rateLimitedError(refusal: Refusal): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const limit = formatRateSpec(refusal.limit);
  const why =
    refusal.reason === 'unavailable'
      ? 'the shared rate-limit state is unreachable (database down)'
      : refusal.reason === 'stopped'
        ? 'the server is shutting down'
        : `${whose(refusal.bucket)} rate limit of ${limit} is used up`;
  return new AppError('rate_limited', `Too many requests: ${why}; retry in ${retryAfterSeconds} s`, {
    extra: { retryAfterMs: Math.ceil(refusal.retryAfterMs), retryAfterSeconds, limit },
  });
}

export function forbiddenCall(principal: Principal, server: string, tool: string): AppError {
  const scope = neededScope({ server, action: 'call' });
  return new AppError(
    'forbidden',
    `Calling tool "${tool}" needs the scope "${scope}" (or ${scope}:<glob matching it>), which this credential (${principal.name}) does not have`,
    {
      extra: { scope },
    },
  );
}

/** Errors a guarded call threw and already audited: an adapter that audits refusals itself (REST's onError) skips these. */
export const auditedErrors = new WeakSet<object>();

export function guardCalls(inner: ToolCaller, deps: CallGuardDeps): ToolCaller {
  return {
    async call(catalog, name, args, options) {
      const started = performance.now();
      const { principal } = options;
      const entry = catalog.resolve(name);
      const serverId = entry?.row.serverId ?? catalog.writableServerId ?? null;
      let outcome = 'ok';
      try {
        if (entry && principal && !allows(principal.scopes, { server: entry.row.serverId, action: 'call', tool: entry.row.name })) {
          throw forbiddenCall(principal, entry.row.serverId, entry.row.name);
        }
        if (entry?.available && deps.limiter) {
          const checks = bucketsFor({
            keyId: principal?.keyId,
            keyRate: principal?.rateLimit,
            server: entry.row.serverId,
            serverRate: specOf(deps.registry.snapshot(entry.row.serverId)?.server.rateLimit),
            tool: entry.row.name,
            toolRate: specOf(entry.row.rateLimit),
          });
          if (checks.length > 0) {
            const admitted = await deps.limiter.admit(checks);
            if (!admitted.ok) throw rateLimitedError(admitted);
          }
        }
        const result = await inner.call(catalog, name, args, options);
        if (result.isError) outcome = 'tool_error';
        return result;
      } catch (error) {
        outcome = isAppError(error) ? error.code : 'internal';
        if (typeof error === 'object' && error !== null) auditedErrors.add(error);
        throw error;
      } finally {
        const elapsedMs = performance.now() - started;
        deps.metrics?.call(serverId, entry ? entry.row.name : '(unknown)', outcome, elapsedMs / 1000);
        deps.audit?.record({
          action: 'call',
          actor: principal?.actor ?? 'local',
          actorName: principal?.name ?? null,
          requestId: options.requestId ?? null,
          serverId,
          tool: entry?.row.name ?? name,
          outcome,
          durationMs: Math.round(elapsedMs * 1000) / 1000,
          arguments: args ?? {},
        });
      }
    },
  };
}
