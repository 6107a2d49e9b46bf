import type { CallToolResult } from '@modelcontextprotocol/client';
import { AppError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SecretReader } from '../../shared/secrets.ts';
import { UpstreamAnswerError, UpstreamDownError, UpstreamLink } from './link.ts';
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
      const link = new UpstreamLink({ ...definition }, { ...this.deps, toolsChanged: () => this.onToolsChanged(link.definition) });
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
      requests: 0,
      failures: 0,
      successRate: null,
      meanLatencyMs: null,
    };
  }

  statuses(): UpstreamStatus[] {
    return this.definitions.map((d) => this.status(d.id)!).filter(Boolean);
  }

  /** Call `tool` of the group; failover across members that cannot be reached. */
  async call(
    serverId: string,
    prefix: string,
    tool: string,
    args: Record<string, unknown>,
    options: { signal: AbortSignal; timeoutMs: number },
  ): Promise<CallToolResult> {
    const members = this.callOrder(serverId, prefix);
    if (!members.length) {
      const defined = this.definitions.filter((d) => d.serverId === serverId && d.prefix === prefix);
      const why = defined.map((d) => this.refusal(d)).filter(Boolean);
      throw new AppError('unavailable', `No upstream serves "${prefix}" on server "${serverId}"${why.length ? `: ${why.join('; ')}` : ''}`);
    }
    const deadline = performance.now() + options.timeoutMs;
    const refused: string[] = [];
    for (const link of members) {
      const id = link.definition.id;
      if (!link.connected) {
        const status = link.status();
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
      if (remaining <= 0) break;
      try {
        return await link.call(tool, args, { signal: options.signal, timeoutMs: Math.min(remaining, link.definition.timeoutMs) });
      } catch (error) {
        if (error instanceof UpstreamAnswerError) throw new AppError('handler_failed', `Upstream "${id}" refused the call of "${tool}": ${error.message}`);
        if (options.signal.aborted) throw options.signal.reason instanceof AppError ? options.signal.reason : error;
        if (!(error instanceof UpstreamDownError)) throw error;
        refused.push(`"${id}" failed: ${error.message}`);
        this.deps.logger.warn('upstream call failed', { upstream: id, tool, error: error.message });
      }
    }
    throw new AppError('unavailable', `No upstream of "${prefix}" could take the call of "${tool}": ${refused.join('; ') || 'no time left'}`);
  }

  async close(): Promise<void> {
    const all = [...this.links.values()].map(({ link }) => link.close());
    this.links.clear();
    await Promise.all(all);
  }
}
