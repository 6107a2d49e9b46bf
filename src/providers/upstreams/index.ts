import { setTimeout as delay } from 'node:timers/promises';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SecretReader } from '../../shared/secrets.ts';
import { UpstreamAnswerError, UpstreamDownError } from './errors.ts';
import { createUpstreamHttp } from './fetch.ts';
import { UpstreamLink } from './link.ts';
import type { UpstreamDefinition, UpstreamStatus, UpstreamTool } from './types.ts';

export type { BreakerState } from './breaker.ts';
export type { UpstreamDefinition, UpstreamStatus, UpstreamTool } from './types.ts';

export interface UpstreamsDeps {
  secret: SecretReader;
  logger: Logger;
  version: string;
  /** TOOLPORT_UPSTREAM_STDIO=1: stdio upstreams (a command Toolport runs) are allowed. */
  allowStdio: boolean;
}

/** The definition's fields a connection depends on: a change of any other (description, include lists) keeps it. */
function connectionKey(d: UpstreamDefinition): string {
  return JSON.stringify([
    d.transport,
    d.url,
    d.headers,
    d.command,
    d.args,
    d.env,
    d.timeoutMs,
    d.healthIntervalMs,
    d.failureThreshold,
    d.recoveryTimeoutMs,
    d.halfOpenMaxCalls,
  ]);
}

/**
 * Every enabled upstream's connection in this process, and the calls to
 * them. Upstreams of one server with one prefix are a failover group: a call
 * goes to the connected member with the lowest priority number whose
 * breaker admits it (round-robin among equal priorities), and on to the next
 * when that one cannot be reached; an upstream that hangs costs only its own
 * calls their timeout. `onToolsChanged` hears whenever a member's tool list
 * is known anew.
 */
export class Upstreams {
  private readonly links = new Map<string, { link: UpstreamLink; key: string }>();
  private definitions: UpstreamDefinition[] = [];
  private turn = 0;
  /** Members per `<server>\0<prefix>`, cleared whenever the connections change. */
  private readonly groups = new Map<string, readonly UpstreamLink[]>();
  onToolsChanged: (definition: UpstreamDefinition) => void = () => {};

  /** The HTTP client of every streamable-http link (one keep-alive pool per upstream origin). */
  private readonly http = createUpstreamHttp();

  constructor(private readonly deps: UpstreamsDeps) {}

  /** Why this definition is not connected to at all (disabled; stdio without TOOLPORT_UPSTREAM_STDIO=1). */
  refusal(definition: UpstreamDefinition): string | undefined {
    if (!definition.enabled) return `upstream "${definition.id}" is disabled`;
    if (definition.transport === 'stdio' && !this.deps.allowStdio) {
      return `upstream "${definition.id}" is a stdio upstream, and this process does not run commands for upstreams (set TOOLPORT_UPSTREAM_STDIO=1 to allow them)`;
    }
    return undefined;
  }

  /** Bring connections in line with the table: new and changed ones (re)connect, removed and disabled ones close. */
  async reconcile(definitions: UpstreamDefinition[]): Promise<void> {
    this.definitions = definitions;
    const wanted = new Map(definitions.filter((d) => !this.refusal(d)).map((d) => [d.id, d]));
    const closing: Promise<void>[] = [];
    for (const [id, { link, key }] of this.links) {
      const next = wanted.get(id);
      if (!next || connectionKey(next) !== key) {
        this.links.delete(id);
        closing.push(link.close());
      } else if (next !== link.definition) {
        // Same connection, other bookkeeping (priority, prefix, lists): keep the connection, update in place.
        Object.assign(link.definition, next);
      }
    }
    for (const [id, definition] of wanted) {
      if (this.links.has(id)) continue;
      const link = new UpstreamLink({ ...definition }, { ...this.deps, http: this.http, toolsChanged: () => this.onToolsChanged(link.definition) });
      this.links.set(id, { link, key: connectionKey(definition) });
      link.start();
    }
    this.groups.clear();
    await Promise.all(closing);
  }

  /** Every definition last given to reconcile (enabled or not). */
  list(): readonly UpstreamDefinition[] {
    return this.definitions;
  }

  definition(id: string): UpstreamDefinition | undefined {
    return this.definitions.find((d) => d.id === id);
  }

  /** A group's members by priority, then id: built once per reconcile, not per call. */
  private members(serverId: string, prefix: string): readonly UpstreamLink[] {
    const key = `${serverId}\0${prefix}`;
    let members = this.groups.get(key);
    if (!members) {
      members = [...this.links.values()]
        .map(({ link }) => link)
        .filter((link) => link.definition.serverId === serverId && link.definition.prefix === prefix)
        .sort((a, b) => a.definition.priority - b.definition.priority || a.definition.id.localeCompare(b.definition.id));
      this.groups.set(key, members);
    }
    return members;
  }

  /** The members of a group in call order: lowest priority number first, rotated among equals (round-robin). */
  private callOrder(serverId: string, prefix: string): readonly UpstreamLink[] {
    const members = this.members(serverId, prefix);
    if (members.length < 2) return members;
    const rotate = this.turn++;
    const ordered: UpstreamLink[] = [];
    for (let start = 0; start < members.length; ) {
      let end = start + 1;
      while (end < members.length && members[end]!.definition.priority === members[start]!.definition.priority) end++;
      const shift = rotate % (end - start);
      ordered.push(...members.slice(start + shift, end), ...members.slice(start, start + shift));
      start = end;
    }
    return ordered;
  }

  /** The tools of the group as its best connected member lists them (undefined while none is connected). */
  groupTools(serverId: string, prefix: string): { from: UpstreamDefinition; tools: readonly UpstreamTool[] } | undefined {
    const best = this.members(serverId, prefix).find((link) => link.connected);
    return best ? { from: best.definition, tools: best.listed() } : undefined;
  }

  status(id: string): UpstreamStatus | undefined {
    const link = this.links.get(id)?.link;
    if (link) return link.status();
    const definition = this.definition(id);
    if (!definition) return undefined;
    return {
      id,
      serverId: definition.serverId,
      prefix: definition.prefix,
      priority: definition.priority,
      enabled: definition.enabled,
      connection: 'disabled',
      breaker: 'closed',
      consecutiveFailures: 0,
      lastError: this.refusal(definition),
      tools: 0,
      toolsSelected: 0,
      requests: 0,
      failures: 0,
      retries: 0,
      successRate: null,
      meanLatencyMs: null,
    };
  }

  statuses(): UpstreamStatus[] {
    return this.definitions.map((d) => this.status(d.id)!).filter(Boolean);
  }

  /**
   * Call `tool` of the group: failover across members that cannot be
   * reached, then — while the call's time lasts — up to `maxRetries` more
   * rounds (the most any member allows) after a jittered backoff (100 ms
   * doubling), so an upstream that restarts or reconnects meanwhile takes
   * the call. Only a call that never reached an upstream is retried: an
   * answer (an error included) or a timeout is final, as the upstream may
   * have acted on it. Each retried round counts in every member's
   * `retries` (its status, and toolport_upstream_retries_total).
   */
  async call(
    serverId: string,
    prefix: string,
    tool: string,
    args: Record<string, unknown>,
    options: { signal: AbortSignal; timeoutMs: number },
  ): Promise<CallToolResult> {
    const deadline = performance.now() + options.timeoutMs;
    let refused: readonly string[] = [];
    const lostHere = new Set<string>();
    for (let round = 0; ; round++) {
      const members = this.callOrder(serverId, prefix);
      if (!members.length) {
        const defined = this.definitions.filter((d) => d.serverId === serverId && d.prefix === prefix);
        const why = defined.map((d) => this.refusal(d)).filter(Boolean);
        throw new AppError('unavailable', `No upstream serves "${prefix}" on server "${serverId}"${why.length ? `: ${why.join('; ')}` : ''}`);
      }
      const outcome = await this.tryMembers(members, tool, args, options.signal, deadline, lostHere);
      if (outcome.result) return outcome.result;
      refused = outcome.refused;
      for (const id of outcome.lost) lostHere.add(id);
      const retries = Math.max(...members.map((link) => link.definition.maxRetries));
      // Until the next reconnect of a member this call saw fail (and its connect), else a jittered backoff.
      const reconnects = members.flatMap((link) => {
        const at = lostHere.has(link.definition.id) ? link.status().nextAttemptAt : undefined;
        return at ? [Date.parse(at) - Date.now() + RECONNECT_ALLOWANCE_MS] : [];
      });
      const pause = reconnects.length ? Math.max(10, Math.min(...reconnects)) : Math.random() * 100 * 2 ** round;
      if (!outcome.retryable || round >= retries || deadline - performance.now() <= pause + 1) break;
      // An abort ends the wait early (AbortError), and the check below answers for it.
      await delay(pause, undefined, { signal: options.signal }).catch((error: unknown) => {
        if ((error as Error | undefined)?.name !== 'AbortError') throw error;
      });
      if (options.signal.aborted) throw options.signal.reason instanceof AppError ? options.signal.reason : new AppError('timeout', 'The call was cancelled');
      for (const link of members) link.countRetry();
    }
    throw new AppError('unavailable', `No upstream of "${prefix}" could take the call of "${tool}": ${refused.join('; ') || 'no time left'}`);
  }

  /**
   * One round over the members in call order: the first result, or why none
   * gave one (`refused`), the members whose connection it lost (`lost`), and
   * whether another round may help. `lostBefore`: the members earlier rounds
   * of this call lost.
   */
  private async tryMembers(
    members: readonly UpstreamLink[],
    tool: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    deadline: number,
    lostBefore: ReadonlySet<string>,
  ): Promise<RoundOutcome> {
    // Another round may help only where a member is (re)connecting or lost its connection during this call;
    // a member down until its next attempt or with its breaker open fails fast, and a timeout is final.
    const refused: string[] = [];
    const lost: string[] = [];
    let retryable = false;
    let timedOut = false;
    for (const link of members) {
      const id = link.definition.id;
      if (!link.connected) {
        const status = link.status();
        if (status.connection === 'connecting' || lostBefore.has(id)) retryable = true;
        refused.push(
          `"${id}" is ${status.connection}${status.lastError ? ` (${status.lastError})` : ''}${status.nextAttemptAt ? `, reconnecting at ${status.nextAttemptAt}` : ''}`,
        );
        continue;
      }
      if (!link.breaker.admit()) {
        refused.push(
          `"${id}" has its circuit breaker open after ${link.breaker.consecutiveFailures} failures; retried at ${link.breaker.retryAt?.toISOString()}`,
        );
        continue;
      }
      const remaining = Math.floor(deadline - performance.now());
      if (remaining <= 0) return { refused, lost, retryable: false };
      try {
        const result = await link.call(tool, args, { signal, timeoutMs: Math.min(remaining, link.definition.timeoutMs) });
        return { result, refused, lost, retryable: false };
      } catch (error) {
        if (error instanceof UpstreamAnswerError) throw new AppError('handler_failed', `Upstream "${id}" refused the call of "${tool}": ${error.message}`);
        if (signal.aborted) throw signal.reason instanceof AppError ? signal.reason : error;
        if (!(error instanceof UpstreamDownError)) throw error;
        if (/timed? ?out/i.test(error.message)) timedOut = true;
        else {
          retryable = true;
          lost.push(id);
        }
        refused.push(`"${id}" failed: ${error.message}`);
        this.deps.logger.warn('upstream call failed', { upstream: id, tool, error: error.message });
      }
    }
    return { refused, lost, retryable: retryable && !timedOut };
  }

  async close(): Promise<void> {
    const all = [...this.links.values()].map(({ link }) => link.close());
    this.links.clear();
    await Promise.all(all);
    await this.http.close();
  }
}

/** How long after a member's scheduled reconnect a retry waits for it to have connected. */
const RECONNECT_ALLOWANCE_MS = 150;

/** What one round of a call over a group's members came to. */
interface RoundOutcome {
  result?: CallToolResult;
  /** Why each member that gave no result did not (the 503's message when no round gives one). */
  refused: string[];
  /** Members whose connection was lost by this round's call (the next round waits for their reconnect). */
  lost: string[];
  retryable: boolean;
}
