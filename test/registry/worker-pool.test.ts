import { beforeAll, describe, expect, it } from 'vitest';
import type { Handler } from '../../src/handlers/define.ts';
import { handlers as builtIn } from '../../src/handlers/index.ts';
import { connectModern } from '../mcp/support.ts';
import { backends, openTestDatabase } from '../support/database.ts';
import { json, startTestToolport, useToolport } from '../support/toolport.ts';
import { workerHandlers } from './worker-handlers.ts';

/**
 * CPU handlers (runs: 'worker') run in a pool of worker threads: a call that
 * spins past its deadline is answered `timeout` at the deadline, its thread is
 * terminated and replaced, and meanwhile the event loop — /health on every
 * listener, other calls — keeps answering. Real listeners, real threads.
 */

const handlers = new Map<string, Handler>([...builtIn, ...workerHandlers.map((handler) => [handler.name, handler] as const)]);
const JSON_HEADERS = { 'content-type': 'application/json' };
const ONE_MB_OF_WORDS = 'word '.repeat(200_000); // 1,000,000 characters: text_analyzer's limit, inside the 1 MiB body limit
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const backend of backends) {
  describe(`CPU handlers in worker threads (${backend})`, () => {
    const t = useToolport(backend, { TOOLPORT_CALL_TIMEOUT_MS: '1000', TOOLPORT_CPU_WORKERS: '2' }, { handlers });
    let utility: string;
    let finance: string;

    beforeAll(async () => {
      utility = t.app.urls.utility!;
      finance = t.app.urls.finance!;
      for (const handler of workerHandlers) {
        const body: Record<string, unknown> = { name: handler.name, description: handler.name, handler: handler.name };
        if (handler.name === 'rich_in_worker') body.config = { colour: 'blue' };
        // A looser JSON Schema than the handler's own: the handler's parse (in the worker) has the last word.
        if (handler.name === 'strict_in_worker') body.inputSchema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
        const response = await fetch(`${utility}/tools`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
        expect(response.status, await response.clone().text()).toBe(201);
      }
      // Both threads up before the first test, so that what follows a timeout does not depend on how fast this machine starts one.
      await fullStrength();
    });

    const call = (name: string, args: unknown, base = utility) =>
      fetch(`${base}/tools/call`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name, arguments: args }) });

    /**
     * Wait until both threads take calls at once. A thread terminated at a
     * deadline is replaced by a new one, which needs a moment (more on a busy
     * machine) to load tsx and the handler modules; a call queued meanwhile
     * may itself time out, so try again.
     */
    const fullStrength = async () => {
      for (let attempt = 0; attempt < 60; attempt++) {
        const statuses = await Promise.all([call('busy_loop', { ms: 20 }), call('busy_loop', { ms: 20 })].map(async (answer) => (await answer).status));
        if (statuses.every((status) => status === 200)) return;
        await sleep(100);
      }
      throw new Error('the pool did not get back to two working threads');
    };

    it('a 1 MB call spinning past TOOLPORT_CALL_TIMEOUT_MS answers 504 timeout at the deadline; /health on both ports answers meanwhile', async () => {
      const started = performance.now();
      let cpuEnded = false;
      const cpu = call('busy_loop', { ms: 30_000, text: ONE_MB_OF_WORDS }).then(async (response) => {
        const answer = { status: response.status, body: await json(response), ms: performance.now() - started };
        cpuEnded = true;
        return answer;
      });
      // Poll /health on both listeners for as long as the CPU call runs; count the answers that came before it ended.
      const answeredDuring: Record<string, number> = { utility: 0, finance: 0 };
      const poll = async (id: 'utility' | 'finance', base: string) => {
        while (!cpuEnded) {
          const response = await fetch(`${base}/health`);
          const body = await json(response);
          if (!cpuEnded && response.status === 200 && body.status === 'ok') answeredDuring[id]! += 1;
          await sleep(20);
        }
      };
      await Promise.all([poll('utility', utility), poll('finance', finance)]);
      const answer = await cpu;

      expect(answer.status).toBe(504);
      expect(answer.body.error).toMatchObject({ code: 'timeout', message: expect.stringMatching(/busy_loop.*1000 ms/) });
      // About the deadline, not the 30 s the handler would have spun.
      expect(answer.ms).toBeGreaterThanOrEqual(950);
      expect(answer.ms).toBeLessThan(10_000);
      expect(answeredDuring.utility).toBeGreaterThan(0);
      expect(answeredDuring.finance).toBeGreaterThan(0);
    });

    it('after a timeout the pool still works: the thread was replaced and the next calls succeed', async () => {
      const response = await call('busy_loop', { ms: 5 });
      expect(response.status).toBe(200);
      expect((await json(response)).structuredContent).toEqual({ spun: 5, textLength: 0, spins: true });
      const text = await call('text_analyzer', { text: 'The cat sat on the mat.' });
      expect(text.status).toBe(200);
      expect((await json(text)).structuredContent).toMatchObject({ words: 6, sentences: 1 });
      await fullStrength();
      expect(t.app.toolport.runtime.pool.threads).toBe(2);
    });

    it('an inline call is not held up by CPU calls filling every thread', async () => {
      await fullStrength();
      const spinning = [call('busy_loop', { ms: 600 }), call('busy_loop', { ms: 600 }), call('busy_loop', { ms: 600 })];
      await sleep(100);
      const inline = await call('calculate_portfolio', { positions: [{ symbol: 'AAPL', quantity: 10, price: 190, costBasis: 150 }] }, finance);
      let spinningEnded = false;
      void Promise.all(spinning).then(() => (spinningEnded = true));
      expect(inline.status).toBe(200);
      expect(spinningEnded).toBe(false);
      expect((await json(inline)).structuredContent).toMatchObject({ totalValue: 1900 });
      // Two threads: two calls run at once, the third waits in the queue, its deadline running meanwhile.
      const statuses = await Promise.all(spinning.map(async (response) => (await response).status));
      expect(statuses).toContain(200);
      for (const status of statuses) expect([200, 504]).toContain(status);
    });

    it('a rich result from a worker comes back whole, over REST and MCP (re-branded on the main thread)', async () => {
      await fullStrength(); // the previous test ran one call past its deadline
      const expected = {
        content: [
          { type: 'text', text: 'from rich_in_worker on utility' },
          { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
        ],
        structuredContent: { where: 'worker', config: { colour: 'blue' } },
        isError: false,
      };
      const response = await call('rich_in_worker', {});
      expect(response.status).toBe(200);
      expect(await json(response)).toEqual(expected);
      const client = await connectModern(utility);
      try {
        const result = await client.callTool({ name: 'rich_in_worker', arguments: {} });
        expect(result.content).toEqual(expected.content);
        expect(result.structuredContent).toEqual(expected.structuredContent);
        expect(result.isError).toBeFalsy();
      } finally {
        await client.close();
      }
    });

    it("a ToolInputError thrown in a worker is the caller's 400 with its path; on MCP an isError result", async () => {
      const response = await call('picky_in_worker', { word: 'rhythm' });
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({
        code: 'bad_request',
        message: expect.stringContaining('"rhythm" has no vowels'),
        details: [{ path: '/arguments/word', message: '"rhythm" has no vowels' }],
      });
      expect((await json(await call('picky_in_worker', { word: 'melody' }))).structuredContent).toEqual({ word: 'melody', ok: true });
      const client = await connectModern(utility);
      try {
        const result = await client.callTool({ name: 'picky_in_worker', arguments: { word: 'rhythm' } });
        expect(result.isError).toBe(true);
        expect(JSON.stringify(result.content)).toContain('no vowels');
      } finally {
        await client.close();
      }
    });

    it("arguments the handler's own schema refuses (parsed in the worker) are a 400 naming the field", async () => {
      const response = await call('strict_in_worker', { n: 1.5 });
      expect(response.status).toBe(400);
      const error = (await json(response)).error;
      expect(error.code).toBe('bad_request');
      expect(error.message).toMatch(/Invalid arguments for "strict_in_worker" \(handler "strict_in_worker"\)/);
      expect(error.details).toEqual([{ path: '/arguments/n', message: expect.any(String) }]);
      expect((await json(await call('strict_in_worker', { n: 2 }))).structuredContent).toEqual({ n: 2 });
    });

    it('ctx.providers is not there in a worker: 502 handler_failed saying so', async () => {
      const response = await call('providers_in_worker', {});
      expect(response.status).toBe(502);
      expect((await json(response)).error).toMatchObject({ code: 'handler_failed', message: expect.stringMatching(/worker thread.*ctx\.providers/) });
    });
  });
}

describe('the pool: started by the first CPU call, ended by stop()', () => {
  it('no threads before the first CPU call; data_processor and a ~900 KB text_analyzer call run in them; stop() ends them', async () => {
    const db = await openTestDatabase('pglite');
    const app = await startTestToolport(db, { TOOLPORT_CPU_WORKERS: '2' });
    try {
      const pool = app.toolport.runtime.pool;
      expect(pool.size).toBe(2);
      expect(pool.threads).toBe(0);
      const response = await fetch(`${app.urls.utility}/tools/call`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: 'data_processor', arguments: { data: [{ a: 2 }, { a: 1 }], operations: [{ op: 'sort', by: 'a' }] } }),
      });
      expect(response.status).toBe(200);
      expect((await json(response)).structuredContent.records).toEqual([{ a: 1 }, { a: 2 }]);
      expect(pool.threads).toBeGreaterThan(0);

      // Once over a minute of CPU (quadratic grapheme iteration); now linear, well inside the default deadline.
      const text = 'word '.repeat(180_000); // 900,000 characters
      const analyzed = await fetch(`${app.urls.utility}/tools/call`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: 'text_analyzer', arguments: { text, topTerms: 1 } }),
      });
      expect(analyzed.status).toBe(200);
      expect((await json(analyzed)).structuredContent).toMatchObject({
        characters: 900_000,
        charactersWithoutSpaces: 720_000,
        words: 180_000,
        uniqueWords: 1,
        sentences: 1,
        averageWordLength: 4,
        topTerms: [{ term: 'word', count: 180_000 }],
      });

      await app.stop();
      expect(pool.threads).toBe(0);
      await expect(
        pool.run({ module: import.meta.url, handler: 'x', args: {}, config: {}, serverId: 'utility', toolName: 'x' }, new AbortController().signal),
      ).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await app.stop();
      await db.dispose();
    }
  });
});
