import * as v from 'valibot';
import { defineHandler, ToolInputError } from '../../src/handlers/define.ts';
import { toolResult } from '../../src/handlers/result.ts';

/**
 * Handlers that run in the CPU pool (runs: 'worker'), for
 * test/registry/worker-pool.test.ts. A separate module, not the test file: a
 * worker thread imports it by URL (module: import.meta.url) and finds each
 * handler by name among its exports, and a test file cannot be imported
 * outside vitest.
 */

/** A deliberately slow CPU handler: spins synchronously for `ms`, whatever the deadline says. */
export const busyLoop = defineHandler({
  name: 'busy_loop',
  description: 'Spins the CPU for the given milliseconds (synchronously: no await, no signal)',
  input: v.object({ ms: v.number(), text: v.optional(v.string(), '') }),
  runs: 'worker',
  module: import.meta.url,
  run({ ms, text }) {
    const until = performance.now() + ms;
    let spins = 0;
    while (performance.now() < until) spins += 1;
    return { spun: ms, textLength: text.length, spins: spins > 0 };
  },
});

/** A rich result (the toolResult() brand does not survive the trip back: the main thread re-brands it). */
export const richInWorker = defineHandler({
  name: 'rich_in_worker',
  description: 'Returns a text and an image block plus structuredContent, from a worker thread',
  input: v.object({}),
  runs: 'worker',
  module: import.meta.url,
  run: (_input, ctx) =>
    toolResult({
      content: [
        { type: 'text', text: `from ${ctx.toolName} on ${ctx.serverId}` },
        { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
      ],
      structuredContent: { where: 'worker', config: ctx.config },
    }),
});

/** A caller's mistake reported from a worker: ToolInputError with a path. */
export const pickyInWorker = defineHandler({
  name: 'picky_in_worker',
  description: 'Rejects a word without vowels as a ToolInputError at /word',
  input: v.object({ word: v.string() }),
  runs: 'worker',
  module: import.meta.url,
  run({ word }) {
    if (!/[aeiou]/i.test(word)) throw new ToolInputError(`"${word}" has no vowels`, '/word');
    return { word, ok: true };
  },
});

/** Reaches for ctx.providers, which a worker thread does not have. */
export const providersInWorker = defineHandler({
  name: 'providers_in_worker',
  description: 'Touches ctx.providers inside a worker',
  input: v.object({}),
  runs: 'worker',
  module: import.meta.url,
  run: (_input, ctx) => ({ providers: typeof ctx.providers }),
});

/** Arguments the tool's JSON Schema lets through but the handler's own schema refuses (checked in the worker). */
export const strictInWorker = defineHandler({
  name: 'strict_in_worker',
  description: 'Wants a whole number n',
  input: v.object({ n: v.pipe(v.number(), v.integer()) }),
  runs: 'worker',
  module: import.meta.url,
  run: ({ n }) => ({ n }),
});

export const workerHandlers = [busyLoop, richInWorker, pickyInWorker, providersInWorker, strictInWorker];
