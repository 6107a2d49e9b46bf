import type { Server as SdkServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Logger } from '../shared/logger.ts';
import type { FastSession } from './fast-path/session-path.ts';
import type { SharedSessions } from './shared-sessions.ts';

/**
 * 2025-era sessions of one server (port). The SDK keeps a session for as
 * long as its transport lives and clients rarely send DELETE (`client.close()`
 * does not), so sessions are swept when idle and their number is capped.
 * A session with an open stream (its GET notification stream, or a
 * response still streaming) is in use however long it has been quiet.
 */
export interface LegacySession extends FastSession {
  id: string;
  /** The principal's actor that opened it: only that actor may use it (no session hijack by id). */
  actor: string;
  server: SdkServer;
  transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
  openStreams: number;
}

export interface SessionStoreOptions {
  label: string;
  idleMs: number;
  maxSessions: number;
  logger: Logger;
  /** Sessions shared with every process on the database (absent: this process's memory only). */
  shared?: SharedSessions | undefined;
}

export class SessionStore {
  private readonly sessions = new Map<string, LegacySession>();
  /** Sessions being initialized: they count against the cap before they have an id. */
  private pending = 0;
  private readonly sweeper: NodeJS.Timeout;
  /** Ids used since the shared directory last asked (drainUse). */
  private used = new Set<string>();
  private readonly unregister: () => void;

  constructor(private readonly options: SessionStoreOptions) {
    this.unregister = options.shared?.register(this) ?? (() => {});
    // Sweep at half the idle time (bounded), so a session lives at most 1.5× idleMs unused.
    const every = Math.max(10, Math.min(60_000, Math.floor(options.idleMs / 2)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  hasRoom(): boolean {
    return this.sessions.size + this.pending < this.options.maxSessions;
  }

  /** Reserve a slot for an initialize in progress; call the returned function when it is done. */
  reserve(): () => void {
    this.pending++;
    let released = false;
    return () => {
      if (!released) this.pending--;
      released = true;
    };
  }

  add(id: string, actor: string, server: SdkServer, transport: WebStandardStreamableHTTPServerTransport, protocolVersion: string): void {
    this.sessions.set(id, { id, actor, server, transport, protocolVersion, inflight: new Map(), lastSeen: Date.now(), openStreams: 0 });
    this.options.logger.debug('mcp session opened', { server: this.options.label, session: id, sessions: this.sessions.size });
  }

  /**
   * The session with this id opened by `actor`, or undefined. Another
   * actor's session is answered like an unknown one (and not touched), so
   * an id seen elsewhere neither works nor tells that it exists.
   */
  get(id: string, actor: string): LegacySession | undefined {
    const session = this.sessions.get(id);
    if (!session || session.actor !== actor) return undefined;
    session.lastSeen = Date.now();
    this.used.add(id);
    return session;
  }

  /** Whether this store holds the session (whoever opened it). */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  drainUse(): string[] {
    const ids = this.used;
    this.used = new Set();
    for (const session of this.sessions.values()) if (session.openStreams > 0) ids.add(session.id);
    return [...ids];
  }

  /** Forget a session (DELETE, transport closed) and close its server; safe to call twice. */
  remove(id: string, why: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    this.options.logger.debug('mcp session closed', { server: this.options.label, session: id, why });
    session.server.close().catch(() => {});
  }

  /** Count a streaming response as use of the session until its body ends or the client goes away. */
  track(session: LegacySession, response: Response): Response {
    if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream')) return response;
    session.openStreams++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      session.openStreams--;
      session.lastSeen = Date.now();
    };
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            end();
            controller.close();
          } else controller.enqueue(value);
        } catch (error) {
          end();
          controller.error(error);
        }
      },
      cancel(reason) {
        end();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  }

  /** notifications/tools/list_changed to every session; it travels on the session's GET stream if one is open. */
  notifyToolsChanged(): void {
    for (const session of this.sessions.values()) {
      session.server.sendToolListChanged().catch((error: Error) => {
        this.options.logger.debug('mcp list_changed not delivered', { server: this.options.label, session: session.id, error: error.message });
      });
    }
  }

  sweep(now = Date.now()): void {
    for (const session of [...this.sessions.values()]) {
      if (session.openStreams === 0 && now - session.lastSeen > this.options.idleMs) {
        this.remove(session.id, `idle for more than ${this.options.idleMs} ms`);
      }
    }
  }

  /** Close this process's sessions (shutdown, an evicted visibility class); shared ones stay usable on other processes. */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    this.unregister();
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((session) => session.server.close().catch(() => {})));
  }
}
