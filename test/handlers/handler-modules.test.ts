import { isMainThread, threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { connectLegacy, connectModern, countLegacyChanges, type LegacyConnection } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';
import { moduleDir } from './handler-module-dir.ts';

/**
 * Handler modules outside the source tree (TOOLPORT_HANDLERS_DIR): a module
 * in the directory at start is loaded and its handlers take tools; a module
 * added, changed or removed while Toolport runs changes the tools bound to
 * it without a restart (and MCP sessions hear list_changed); a module's
 * handler runs in the CPU worker pool unless it says `runs: 'inline'`. Real
 * files, real fs.watch, real listeners and threads.
 */

/** The module in the directory at start: a configured greeter (worker, by default) and a thread reporter of each placement. */
const GREET_MODULE = `
import { isMainThread, threadId } from 'node:worker_threads';
import * as v from 'valibot';
import { defineHandler, ToolInputError } from 'toolport';

export const greet = defineHandler({
  name: 'plugin_greet',
  title: 'Greet',
  description: 'Greets by the configured greeting',
  input: v.object({ name: v.string() }),
  output: v.object({ text: v.string() }),
  config: v.object({ greeting: v.pipe(v.string(), v.minLength(1)) }),
  run: ({ name }, ctx) => {
    if (name.trim() === '') throw new ToolInputError('must not be blank', '/name');
    return { text: ctx.config.greeting + ', ' + name };
  },
});

export const where = defineHandler({
  name: 'plugin_where',
  description: 'Says which thread ran it (no runs: the worker pool)',
  input: v.object({}),
  run: () => ({ isMainThread, threadId }),
});

export const whereInline = defineHandler({
  name: 'plugin_where_inline',
  description: 'Says which thread ran it (runs: inline)',
  input: v.object({}),
  runs: 'inline',
  run: () => ({ isMainThread, threadId }),
});
`;

const lateModule = (version: number) => `
import * as v from 'valibot';
import { defineHandler } from 'toolport';

export const late = defineHandler({
  name: 'plugin_late',
  description: 'Arrives while Toolport runs',
  input: v.object({}),
  run: () => ({ version: ${version} }),
});
`;

const JSON_HEADERS = { 'content-type': 'application/json' };

for (const backend of backends) {
  describe(`handler modules (${backend})`, () => {
    const dir = moduleDir({ 'greet.ts': GREET_MODULE });
    const t = useToolport(backend, { TOOLPORT_HANDLERS_DIR: dir.path, TOOLPORT_CHANGE_POLL_MS: '100', TOOLPORT_CPU_WORKERS: '2' });
    let utility: string;
    let session: LegacyConnection | undefined;

    const register = (body: Record<string, unknown>) => fetch(`${utility}/tools`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) });
    const call = (name: string, args: unknown = {}) =>
      fetch(`${utility}/tools/call`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name, arguments: args }) });
    const tool = async (name: string) => json(await fetch(`${utility}/tools/${name}`));

    beforeAll(() => {
      utility = t.app.urls.utility!;
    });
    afterAll(async () => {
      await session?.client.close();
      dir.dispose();
    });

    it('a module in the directory at start is listed by GET /handlers with its schemas and its file', async () => {
      const listing = await json(await fetch(`${utility}/handlers`));
      expect(listing.failed).toEqual([]);
      const greet = listing.handlers.find((handler: { name: string }) => handler.name === 'plugin_greet');
      expect(greet).toMatchObject({
        title: 'Greet',
        description: 'Greets by the configured greeting',
        runs: 'worker',
        inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        outputSchema: { type: 'object', properties: { text: { type: 'string' } } },
        configSchema: { type: 'object', properties: { greeting: { type: 'string', minLength: 1 } }, required: ['greeting'] },
      });
      expect(greet.source).toMatch(/greet\.ts$/);
      expect(listing.handlers.find((handler: { name: string }) => handler.name === 'plugin_where_inline').runs).toBe('inline');
    });

    it('a tool bound to it with POST /tools (config checked by its schema) is called over REST and MCP', async () => {
      const refused = await register({ name: 'hello_bad', description: 'x', handler: 'plugin_greet', config: { greeting: '' } });
      expect(refused.status).toBe(400);
      expect((await json(refused)).error.details[0].path).toBe('/config/greeting');

      const created = await register({ name: 'hello', description: 'Say hello', handler: 'plugin_greet', config: { greeting: 'Hello' } });
      expect(created.status, await created.clone().text()).toBe(201);
      const rest = await call('hello', { name: 'Ada' });
      expect(rest.status).toBe(200);
      expect((await json(rest)).structuredContent).toEqual({ text: 'Hello, Ada' });

      // ToolInputError from the module (thrown in a worker thread): a 400 naming the field.
      const blank = await call('hello', { name: ' ' });
      expect(blank.status).toBe(400);
      expect((await json(blank)).error.details).toEqual([{ path: '/arguments/name', message: 'must not be blank' }]);

      const client = await connectModern(utility);
      try {
        const listed = (await client.listTools()).tools.find((entry) => entry.name === 'hello');
        expect(listed?.inputSchema).toMatchObject({ required: ['name'] });
        const result = await client.callTool({ name: 'hello', arguments: { name: 'Grace' } });
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toEqual({ text: 'Hello, Grace' });
      } finally {
        await client.close();
      }
    });

    it("a handler without `runs` runs in the worker pool; `runs: 'inline'` on the main thread", async () => {
      expect((await register({ name: 'where_pool', description: 'x', handler: 'plugin_where' })).status).toBe(201);
      expect((await register({ name: 'where_inline', description: 'x', handler: 'plugin_where_inline' })).status).toBe(201);
      const pooled = (await json(await call('where_pool'))).structuredContent;
      expect(pooled.isMainThread).toBe(false);
      expect(pooled.threadId).not.toBe(threadId);
      // The thread this test (and the Toolport it started) runs on.
      const inline = (await json(await call('where_inline'))).structuredContent;
      expect(inline).toEqual({ isMainThread, threadId });
    });

    it('a module added while running makes a tool already bound to its handler available, without a restart; MCP clients get list_changed', async () => {
      // Registered before the handler exists (with SQL: the REST write checks the handler): listed, unavailable, with the reason.
      await t.db.database.query(
        `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('utility', 'late_tool', 'Waits for its module', '{"type":"object"}', 'plugin_late')`,
      );
      const waiting = await within(3_000, async () => {
        const response = await fetch(`${utility}/tools/late_tool`);
        return response.status === 200 ? json(response) : undefined;
      });
      expect(waiting.available).toBe(false);
      expect(waiting.reason).toBe('no handler "plugin_late" is loaded');
      expect((await call('late_tool')).status).toBe(503);

      session = await connectLegacy(utility);
      const changes = countLegacyChanges(session.client);
      expect((await session.client.listTools()).tools.map((entry) => entry.name)).not.toContain('late_tool');

      dir.write('late.ts', lateModule(1));
      await within(5_000, async () => ((await tool('late_tool')).available === true ? true : undefined), 'late_tool available');
      await changes.reach(1, 2_000);
      expect((await session.client.listTools()).tools.map((entry) => entry.name)).toContain('late_tool');
      expect((await json(await call('late_tool'))).structuredContent).toEqual({ version: 1 });
      const listing = await json(await fetch(`${utility}/handlers`));
      expect(listing.handlers.find((handler: { name: string }) => handler.name === 'plugin_late').source).toMatch(/late\.ts$/);
    });

    it('a module changed while running changes what its tools do (in the worker pool too)', async () => {
      dir.write('late.ts', lateModule(2));
      const answer = await within(
        5_000,
        async () => {
          const body = await json(await call('late_tool'));
          return body.structuredContent?.version === 2 ? body : undefined;
        },
        'version 2 answering',
      );
      expect(answer.structuredContent).toEqual({ version: 2 });
    });

    it('a module removed while running makes its tools unavailable; the others keep working', async () => {
      dir.remove('late.ts');
      const gone = await within(5_000, async () => {
        const body = await tool('late_tool');
        return body.available === false ? body : undefined;
      });
      expect(gone.reason).toBe('no handler "plugin_late" is loaded');
      expect((await call('late_tool')).status).toBe(503);
      expect((await call('hello', { name: 'Ada' })).status).toBe(200);
    });
  });
}
