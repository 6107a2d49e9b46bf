import * as v from 'valibot';
import { AppError, isAppError } from '../errors.ts';
import { ToolInputError, type JsonObject } from '../handlers/define.ts';
import type { Providers } from '../providers/index.ts';
import type { Logger } from '../logger.ts';
import { issuesToDetails } from '../validation.ts';
import { onDeadline } from './deadlines.ts';
import type { Registry, ToolEntry } from './registry.ts';

/** MCP's CallToolResult, which REST returns too. */
export interface CallToolResult {
  content: { type: 'text'; text: string }[];
  structuredContent?: JsonObject;
  isError: boolean;
}

export interface CallDeps {
  registry: Registry;
  providers: Providers;
  logger: Logger;
  callTimeoutMs: number;
}

export interface CallOptions {
  /** Aborted by the transport when the client goes away or the server shuts down. */
  signal?: AbortSignal;
}

/**
 * A CallToolResult as JSON text. For results made by callTool the text block
 * is already the JSON of structuredContent, so the value is encoded once, not
 * twice. `more` adds members (JSON of an object) after isError.
 */
export function encodeCallResult(
  result: { content: readonly { type: string; text?: string }[]; structuredContent?: unknown; isError?: boolean },
  more?: string,
): string {
  const tail = more && more !== '{}' ? ',' + more.slice(1) : '}';
  const [block] = result.content;
  if (result.structuredContent !== undefined && result.content.length === 1 && block?.type === 'text' && structuredText.get(result) === block.text) {
    return `{"content":[{"type":"text","text":${JSON.stringify(block.text)}}],"structuredContent":${block.text},"isError":${result.isError === true}${tail}`;
  }
  const plain = JSON.stringify(result);
  return tail === '}' ? plain : plain.slice(0, -1) + tail;
}

/** Results whose text block callTool made from their structuredContent. */
const structuredText = new WeakMap<object, string>();

/** The entry a call would run, or the AppError explaining why it cannot. */
function resolveTool(registry: Registry, serverId: string, name: string): ToolEntry {
  const entry = registry.snapshot(serverId)?.tools.get(name);
  if (!entry) throw new AppError('not_found', `No tool named "${name}" on server "${serverId}"`);
  if (!entry.available) {
    throw new AppError('unavailable', `Tool "${name}" is unavailable: ${entry.reason}`, { extra: { tool: name, reason: entry.reason } });
  }
  return entry;
}

/**
 * The handler's abort signal, made only if the handler asks for it: an
 * AbortController (and a listener on the transport's signal) per call is a
 * measurable share of a pure tool's call, and most handlers never look.
 */
class LazyAbort {
  private controller: AbortController | undefined;
  private reason: unknown;
  private aborted = false;

  constructor(private readonly outer: AbortSignal | undefined) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
      else if (this.outer) this.outer.addEventListener('abort', this.onOuterAbort, { once: true });
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  dispose(): void {
    this.outer?.removeEventListener('abort', this.onOuterAbort);
  }

  private readonly onOuterAbort = () => this.abort(this.outer?.reason);
}

function withTimeout<T>(run: (abort: LazyAbort) => Promise<T>, timeoutMs: number, outer: AbortSignal | undefined, tool: string): Promise<T> {
  const abort = new LazyAbort(outer);
  return new Promise<T>((resolve, reject) => {
    const cancel = onDeadline(timeoutMs, () => {
      const error = new AppError('timeout', `Tool "${tool}" did not finish within ${timeoutMs} ms`);
      abort.abort(error);
      abort.dispose();
      reject(error);
    });
    run(abort).then(
      (value) => {
        cancel();
        abort.dispose();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        abort.dispose();
        reject(error);
      },
    );
  });
}

/**
 * The one execution path for REST and MCP: look up in the snapshot (no
 * database round trip) → check arguments against the tool's JSON Schema
 * (compiled on first use, kept on the entry) → the handler parses them with its own valibot
 * schema → run with a timeout. Throws AppError; the adapters decide how to show it.
 */
export async function callTool(deps: CallDeps, serverId: string, name: string, args: unknown, options: CallOptions = {}): Promise<CallToolResult> {
  const entry = resolveTool(deps.registry, serverId, name);
  const handler = entry.handler!;
  const input = args ?? {};
  const schemaIssues = deps.registry.validatorFor(serverId, entry)(input);
  if (schemaIssues) {
    throw new AppError('bad_request', `Invalid arguments for "${name}": ${schemaIssues.map((issue) => `${issue.path} ${issue.message}`).join('; ')}`, {
      details: schemaIssues.map((issue) => ({ ...issue, path: '/arguments' + (issue.path === '/' ? '' : issue.path) })),
    });
  }
  const parsed = v.safeParse(handler.input, input);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.issues, '/arguments');
    throw new AppError('bad_request', `Invalid arguments for "${name}" (handler "${handler.name}"): ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, { details });
  }
  const started = performance.now();
  try {
    const value = await withTimeout(
      (abort) =>
        handler.run(parsed.output, {
          serverId,
          toolName: name,
          config: entry.row.handlerConfig as Record<string, unknown>,
          get signal() {
            return abort.signal;
          },
          providers: deps.providers,
        }),
      deps.callTimeoutMs,
      options.signal,
      name,
    );
    const text = JSON.stringify(value);
    const result: CallToolResult = { content: [{ type: 'text', text }], structuredContent: value, isError: false };
    structuredText.set(result, text);
    return result;
  } catch (error) {
    if (error instanceof ToolInputError) {
      const path = '/arguments' + (error.path === '/' ? '' : error.path);
      throw new AppError('bad_request', `${name}: ${error.message}`, { details: [{ path, message: error.message }] });
    }
    if (isAppError(error)) throw error;
    deps.logger.warn('handler failed', { server: serverId, tool: name, error: (error as Error)?.message, ms: Math.round(performance.now() - started) });
    throw new AppError('handler_failed', `Tool "${name}" failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}
