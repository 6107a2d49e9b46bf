import { Hono } from 'hono';
import type { Handler } from '../../handlers/define.ts';
import type { RestEnv } from '../env.ts';

/**
 * `GET /handlers`: every handler and kind this process knows — built in or
 * from a handler module (TOOLPORT_HANDLERS_DIR) — with the JSON Schemas a
 * client needs to register a tool on it (input, output, `handler_config`),
 * and the handler modules that failed to load. Read-only, like GET /tools;
 * the same on every listener (handlers belong to the process, not a server).
 */

/** A handler module that did not load, or one of its handlers that was refused (`handler`: its name). */
export interface HandlerFailure {
  file: string;
  handler?: string | undefined;
  error: string;
}

export interface KnownHandlers {
  /** Each handler with where it comes from: 'built-in' or the module's path. */
  handlers: Iterable<{ handler: Handler; source: string }>;
  failed: readonly HandlerFailure[];
}

function describe({ handler, source }: { handler: Handler; source: string }) {
  return {
    name: handler.name,
    title: handler.title,
    description: handler.description,
    runs: handler.runs,
    source,
    inputSchema: handler.inputSchema,
    outputSchema: handler.outputSchema,
    configSchema: handler.configSchema,
  };
}

/** `known` is asked on every request, so a reloaded module shows at once. */
export function handlersRoutes(known: () => KnownHandlers) {
  const app = new Hono<RestEnv>();
  app.get('/', (c) => {
    const { handlers, failed } = known();
    const described = [...handlers].map(describe).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return c.json({ handlers: described, failed });
  });
  return app;
}
