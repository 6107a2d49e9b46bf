import * as v from 'valibot';
import type { Handler, HandlerContext } from '../handlers/define.ts';
import { isToolResult } from '../handlers/result.ts';
import type { FieldIssue } from '../shared/errors.ts';
import { typeScriptLoader } from '../shared/typescript-loader.ts';
import { issuesToDetails } from '../shared/validation.ts';

/**
 * What runs inside a CPU-worker thread (started by worker-entry.mjs, pooled
 * by worker-pool.ts): load the handler's module by URL, find the handler by
 * name among its exports, parse the arguments and config, run it, and answer
 * with a plain, structured-cloneable outcome. Nothing here may rely on the
 * main thread's objects: no database, no providers, no class identity (an
 * Error's subclass, the toolResult() brand) survives the trip back.
 */

/** One call, as the main thread sends it: only JSON-like data. */
export interface WorkerTask {
  /** URL of the module exporting the handler (`Handler.module`). */
  module: string;
  /** The handler's name (`tools.handler`). */
  handler: string;
  /** The call's arguments as received (already checked against the tool's JSON Schema). */
  args: unknown;
  /** The tool row's `handler_config` as stored (parsed here by the handler's config schema, if it has one). */
  config: unknown;
  serverId: string;
  toolName: string;
}

/** The answer: a result to re-brand on the main thread, or a failure to rebuild there. */
export type WorkerOutcome =
  | { kind: 'json'; value: unknown }
  | { kind: 'tool'; value: unknown }
  | { kind: 'bad_arguments'; details: FieldIssue[] }
  | { kind: 'bad_config'; details: FieldIssue[] }
  | { kind: 'input_error'; message: string; path: string }
  | { kind: 'app_error'; code: string; message: string; details?: FieldIssue[] | undefined; extra?: Record<string, unknown> | undefined }
  | { kind: 'error'; name: string; message: string };

function isHandler(value: unknown): value is Handler {
  const candidate = value as Partial<Handler> | null;
  return (
    typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string' && typeof candidate.run === 'function' && 'input' in candidate
  );
}

const handlers = new Map<string, Promise<Handler>>();

/** The handler named `name` among the exports of `module` (imported once per thread). */
export function loadHandler(module: string, name: string): Promise<Handler> {
  const key = `${module}#${name}`;
  let loading = handlers.get(key);
  if (!loading) {
    loading = typeScriptLoader(module)
      .then(() => import(module))
      .then((exports: Record<string, unknown>) => {
        const found = Object.values(exports).find((value) => isHandler(value) && value.name === name);
        if (!found) throw new Error(`${module} exports no handler named "${name}"`);
        return found as Handler;
      });
    loading.catch(() => handlers.delete(key));
    handlers.set(key, loading);
  }
  return loading;
}

/** A worker handler is stopped by terminating its thread, so its signal never fires. */
const neverAborted = new AbortController().signal;

export async function runTask(task: WorkerTask): Promise<WorkerOutcome> {
  const handler = await loadHandler(task.module, task.handler);
  const parsed = v.safeParse(handler.input, task.args);
  if (!parsed.success) return { kind: 'bad_arguments', details: issuesToDetails(parsed.issues, '/arguments') };
  let config: unknown = task.config ?? {};
  if (handler.config) {
    const parsedConfig = v.safeParse(handler.config, config, { abortPipeEarly: true });
    if (!parsedConfig.success) return { kind: 'bad_config', details: issuesToDetails(parsedConfig.issues, '/handler_config') };
    config = parsedConfig.output;
  }
  const ctx: HandlerContext<unknown> = {
    serverId: task.serverId,
    toolName: task.toolName,
    config,
    signal: neverAborted,
    get providers(): never {
      throw new Error(`handler "${handler.name}" runs in a worker thread (runs: 'worker'): ctx.providers is not available there`);
    },
  };
  try {
    const value = await handler.run(parsed.output, ctx);
    // The toolResult() brand is a Symbol, which structured clone drops: say which kind it was.
    return isToolResult(value) ? { kind: 'tool', value } : { kind: 'json', value };
  } catch (error) {
    const e = error as { name?: unknown; message?: unknown; path?: unknown; code?: unknown; details?: unknown; extra?: unknown } | null;
    const message = typeof e?.message === 'string' ? e.message : String(error);
    // By name, not instanceof: a handler module may carry its own copy of define.ts / errors.ts.
    if (e?.name === 'ToolInputError') return { kind: 'input_error', message, path: typeof e.path === 'string' ? e.path : '/' };
    if (e?.name === 'AppError' && typeof e.code === 'string') {
      return {
        kind: 'app_error',
        code: e.code,
        message,
        details: e.details as FieldIssue[] | undefined,
        extra: e.extra as Record<string, unknown> | undefined,
      };
    }
    return { kind: 'error', name: typeof e?.name === 'string' ? e.name : 'Error', message };
  }
}
