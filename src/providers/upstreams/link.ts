import { type CallToolResult, Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { Logger } from '../../shared/logger.ts';
import { type SecretReader, SecretScope } from '../../shared/secrets.ts';
import { CircuitBreaker } from './breaker.ts';
import { DirectCaller, LeftToClient, plainHeaderValue } from './direct-call.ts';
import { UpstreamAnswerError, UpstreamDownError } from './errors.ts';
import type { UpstreamHttp } from './fetch.ts';
import { toolSelection } from './selection.ts';
import { readToolList, toolsWithParamHeaders } from './tool-list.ts';
import type { UpstreamDefinition, UpstreamStatus, UpstreamTool } from './types.ts';

export interface LinkDeps {
  secret: SecretReader;
  logger: Logger;
  version: string;
  /** The HTTP client of streamable-http transports (fetch.ts): the global fetch, and no direct calls, without it. */
  http?: Pick<UpstreamHttp, 'fetch' | 'dispatcher'>;
  /** The upstream's tool list is known anew (connected, reconnected, or it sent list_changed). */
  toolsChanged(id: string): void;
}

/**
 * One connection to one upstream MCP server, kept up: the official client
 * (`versionNegotiation: 'auto'`: 2026-07-28 servers and 2025-era ones with
 * sessions, SDK v1 servers included), over Streamable HTTP or a stdio child.
 * Lost, it reconnects with exponential backoff and jitter (capped by the
 * breaker's recovery time, so a restarted upstream is found again about
 * then); an MCP `ping` every `healthIntervalMs` notices a silent one. Header
 * and env values are resolved from their `${secret:NAME}` references each
 * time it connects, and redacted from every message it keeps.
 */
export class UpstreamLink {
  private client: Client | undefined;
  private tools: UpstreamTool[] = [];
  private connection: UpstreamStatus['connection'] = 'connecting';
  private attempt = 0;
  private nextAttemptAt: number | undefined;
  private lastError: string | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private scope: SecretScope;
  private requests = 0;
  private failures = 0;
  private retries = 0;
  private latencyTotalMs = 0;
  /** The streamable-http endpoint the transport was made for, resolved (the direct calls' target). */
  private endpoint: { url: string; headers: Record<string, string> } | undefined;
  /** tools/call without the SDK client, on a 2026-07-28 connection over HTTP (direct-call.ts). */
  private direct: DirectCaller | undefined;
  /** Tools whose input schema declares `x-mcp-header` parameters: the SDK client sends their headers, so it calls them. */
  private viaClient = new Set<string>();
  readonly breaker: CircuitBreaker;

  constructor(
    readonly definition: UpstreamDefinition,
    private readonly deps: LinkDeps,
  ) {
    this.breaker = new CircuitBreaker(definition);
    this.scope = new SecretScope(deps.secret);
  }

  start(): void {
    void this.connect();
  }

  get connected(): boolean {
    return this.connection === 'connected';
  }

  listed(): readonly UpstreamTool[] {
    return this.tools;
  }

  status(): UpstreamStatus {
    const d = this.definition;
    return {
      id: d.id,
      serverId: d.serverId,
      prefix: d.prefix,
      priority: d.priority,
      enabled: d.enabled,
      connection: this.connection,
      breaker: this.breaker.state,
      consecutiveFailures: this.breaker.consecutiveFailures,
      retryAt: this.breaker.retryAt?.toISOString(),
      nextAttemptAt: this.connection === 'down' && this.nextAttemptAt ? new Date(this.nextAttemptAt).toISOString() : undefined,
      lastError: this.lastError,
      protocolVersion: this.client?.getNegotiatedProtocolVersion?.() ?? undefined,
      tools: this.tools.length,
      toolsSelected: this.countSelected(),
      requests: this.requests,
      failures: this.failures,
      retries: this.retries,
      successRate: this.requests ? (this.requests - this.failures) / this.requests : null,
      meanLatencyMs: this.requests ? Math.round((this.latencyTotalMs / this.requests) * 100) / 100 : null,
    };
  }

  /** The include/exclude matcher, rebuilt only when the definition's lists are replaced (an update in place). */
  private selection: { include: string[]; exclude: string[]; keep: (name: string) => boolean } | undefined;

  private countSelected(): number {
    const { include, exclude } = this.definition;
    if (this.selection?.include !== include || this.selection.exclude !== exclude) {
      this.selection = { include, exclude, keep: toolSelection(this.definition) };
    }
    const { keep } = this.selection;
    return this.tools.filter((tool) => keep(tool.name)).length;
  }

  private transport() {
    const d = this.definition;
    this.scope = new SecretScope(this.deps.secret);
    const resolve = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([key, value]) => [key, this.scope.resolve(value)]));
    if (d.transport === 'stdio') {
      return new StdioClientTransport({ command: d.command!, args: d.args, env: { ...getDefaultEnvironment(), ...resolve(d.env) }, stderr: 'ignore' });
    }
    const url = this.scope.resolve(d.url!);
    const headers = resolve(d.headers);
    this.endpoint = { url, headers };
    return new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers },
      ...(this.deps.http ? { fetch: this.deps.http.fetch } : {}),
    });
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.connection = 'connecting';
    const client = new Client(this.clientInfo(), {
      versionNegotiation: { mode: 'auto', probe: { timeoutMs: Math.min(this.definition.timeoutMs, 5000) } },
      listChanged: { tools: { autoRefresh: false, debounceMs: 50, onChanged: () => void this.refresh(client) } },
    });
    this.client = client;
    try {
      await client.connect(this.transport(), { timeout: this.definition.timeoutMs });
      client.onclose = () => {
        if (this.client === client) this.lost(client, new Error('the connection closed'));
      };
      if (this.closed) {
        await client.close().catch(() => {});
        return;
      }
      this.connection = 'connected';
      this.direct = this.directCaller(client);
      this.attempt = 0;
      this.lastError = undefined;
      this.deps.logger.info('upstream connected', { upstream: this.definition.id, protocolVersion: client.getNegotiatedProtocolVersion?.() });
      await this.refresh(client);
      this.scheduleHealth(client);
    } catch (error) {
      this.lost(client, error);
    }
  }

  /** Read the whole tool list (every page) and tell the sync. */
  private async refresh(client: Client): Promise<void> {
    if (this.client !== client || this.closed) return;
    try {
      const tools = await readToolList(client, this.definition.timeoutMs);
      if (this.client !== client) return;
      this.tools = tools;
      this.viaClient = toolsWithParamHeaders(tools);
      this.deps.toolsChanged(this.definition.id);
    } catch (error) {
      this.lost(client, error);
    }
  }

  private scheduleHealth(client: Client): void {
    clearTimeout(this.healthTimer);
    this.healthTimer = setTimeout(async () => {
      if (this.client !== client || this.closed) return;
      try {
        const options = { timeout: Math.min(this.definition.timeoutMs, this.definition.healthIntervalMs) };
        // 2026-07-28 has no `ping`: `server/discover` is its cheapest round trip.
        if (isModernVersion(client.getNegotiatedProtocolVersion())) await client.discover(options);
        else await client.ping(options);
        if (this.breaker.state !== 'closed') this.breaker.success();
        this.scheduleHealth(client);
      } catch (error) {
        this.breaker.failure();
        this.lost(client, error);
      }
    }, this.definition.healthIntervalMs);
    this.healthTimer.unref();
  }

  /** The connection is gone (or never came): close what is left and try again later. */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.direct = undefined;
    clearTimeout(this.healthTimer);
    this.connection = 'down';
    this.lastError = this.scope.redact((error as Error)?.message ?? String(error));
    client.onclose = undefined;
    client.close().catch(() => {});
    // Exponential with jitter, from 250 ms up to the breaker's recovery time (at least 1 s).
    const cap = Math.max(1000, this.definition.recoveryTimeoutMs);
    const delay = Math.min(cap, 250 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.nextAttemptAt = Date.now() + delay;
    this.deps.logger.warn('upstream unreachable: reconnecting', { upstream: this.definition.id, error: this.lastError, retryInMs: Math.round(delay) });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  /** How Toolport names itself to upstreams (the SDK client's and the direct calls' envelope alike). */
  private clientInfo(): { name: string; version: string } {
    return { name: 'toolport', version: this.deps.version };
  }

  /** The direct caller of a connection (direct-call.ts): 2026-07-28 and later over HTTP, when the links have the HTTP client. */
  private directCaller(client: Client): DirectCaller | undefined {
    const version = client.getNegotiatedProtocolVersion?.();
    const http = this.deps.http;
    if (this.definition.transport === 'stdio' || !this.endpoint || !http || !isModernVersion(version)) return undefined;
    return new DirectCaller({
      ...this.endpoint,
      clientInfo: this.clientInfo(),
      protocolVersion: version!,
      dispatcher: http.dispatcher,
    });
  }

  /** A call of its group is retried after a round in which no member (this one included) could take it. */
  countRetry(): void {
    this.retries++;
  }

  /** One tools/call; UpstreamAnswerError when it answered with an error, UpstreamDownError when it could not be reached in time. */
  async call(name: string, args: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs: number }): Promise<CallToolResult> {
    const client = this.client;
    if (!client || this.connection !== 'connected') throw new UpstreamDownError(`not connected (${this.lastError ?? 'connecting'})`);
    const started = performance.now();
    this.requests++;
    try {
      const direct = this.direct;
      if (direct && !this.viaClient.has(name) && plainHeaderValue(name)) {
        try {
          const result = await direct.call(name, args, options);
          this.breaker.success();
          return result;
        } catch (error) {
          if (!(error instanceof LeftToClient)) throw error;
          if (error.scope === 'upstream') this.direct = undefined;
          else this.viaClient.add(name);
        }
      }
      const result = (await client.callTool({ name, arguments: args }, { signal: options.signal, timeout: options.timeoutMs })) as CallToolResult;
      this.breaker.success();
      return result;
    } catch (error) {
      this.failures++;
      const message = this.scope.redact((error as Error)?.message ?? String(error));
      if (error instanceof ProtocolError || error instanceof UpstreamAnswerError) {
        this.breaker.success(); // it answered
        throw new UpstreamAnswerError(message);
      }
      if (!options.signal.aborted) {
        this.breaker.failure();
        if (!/timed? ?out/i.test(message)) this.lost(client, error);
      }
      throw new UpstreamDownError(message);
    } finally {
      this.latencyTotalMs += performance.now() - started;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connection = 'disabled';
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.healthTimer);
    const client = this.client;
    this.client = undefined;
    this.direct = undefined;
    if (client) {
      client.onclose = undefined;
      await client.close().catch(() => {});
    }
  }
}

/** The stateless protocol (2026-07-28 and later: protocol versions are dates, so they compare as text). */
function isModernVersion(version: string | undefined): boolean {
  return version !== undefined && version >= '2026-07-28';
}
