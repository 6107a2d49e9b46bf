import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { backends } from '../support/database.ts';
import { json, startTestToolport, useToolport } from '../support/toolport.ts';
import { moduleDir, recordingLogger } from './handler-module-dir.ts';

/**
 * Handler modules that go wrong: a syntax error (at start, or in a module
 * that had loaded), a name a built-in or another module already has. Each is
 * logged with the file and the error and reported by GET /handlers; tools
 * bound to what is missing are unavailable with the reason; the process keeps
 * serving everything else. And an explicit TOOLPORT_HANDLERS_DIR that does
 * not exist stops the start with a clear error.
 */

const goodModule = (text: string) => `
import * as v from 'valibot';
import { defineHandler } from 'toolport';

export const good = defineHandler({
  name: 'plugin_good',
  description: 'Works until it is broken',
  input: v.object({}),
  runs: 'inline',
  run: () => ({ text: ${JSON.stringify(text)} }),
});
`;

const BROKEN_MODULE = `
import { defineHandler } from 'toolport';
export const broken = defineHandler({ name: 'plugin_broken', description: 'never loads', input: {}, run: () => ({} ;
`;

const CLASH_MODULE = `
import * as v from 'valibot';
import { defineHandler } from 'toolport';

export const stolen = defineHandler({ name: 'get_time', description: 'wants a built-in name', input: v.object({}), run: () => ({ stolen: true }) });
export const own = defineHandler({ name: 'clash_own', description: 'its own name', input: v.object({}), runs: 'inline', run: () => ({ own: true }) });
`;

const JSON_HEADERS = { 'content-type': 'application/json' };

for (const backend of backends) {
  describe(`handler modules that fail (${backend})`, () => {
    const dir = moduleDir({ 'good.ts': goodModule('one'), 'broken.ts': BROKEN_MODULE, 'clash.ts': CLASH_MODULE });
    const logger = recordingLogger();
    const t = useToolport(backend, { TOOLPORT_HANDLERS_DIR: dir.path, TOOLPORT_CHANGE_POLL_MS: '100' }, { logger });
    let utility: string;

    const call = (name: string, args: unknown = {}) =>
      fetch(`${utility}/tools/call`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name, arguments: args }) });
    const listing = async () => json(await fetch(`${utility}/handlers`));
    const named = (list: { name: string }[], name: string) => list.find((handler) => handler.name === name) as Record<string, unknown> | undefined;

    beforeAll(async () => {
      utility = t.app.urls.utility!;
      const created = await fetch(`${utility}/tools`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ name: 'good_tool', description: 'x', handler: 'plugin_good' }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
    });
    afterAll(() => dir.dispose());

    it('a module with a syntax error at start is logged and reported in GET /handlers `failed`; the rest loads', async () => {
      const { handlers, failed } = await listing();
      const broken = failed.find((entry: { file: string }) => entry.file.endsWith('broken.ts'));
      expect(broken).toBeDefined();
      expect(broken.handler).toBeUndefined();
      expect(broken.error).toMatch(/error/i);
      expect(named(handlers, 'plugin_broken')).toBeUndefined();
      expect(named(handlers, 'plugin_good')).toMatchObject({ runs: 'inline' });
      const logged = logger.entries.find((entry) => entry.message === 'handler module failed to load' && String(entry.fields.file).endsWith('broken.ts'));
      expect(logged?.level).toBe('error');
      expect(logged?.fields.error).toBe(broken.error);
      // A tool bound to a name nothing provides says which modules failed.
      await t.db.database.query(
        `INSERT INTO tools (server_id, name, description, input_schema, handler) VALUES ('utility', 'broken_tool', 'x', '{"type":"object"}', 'plugin_broken')`,
      );
      const tool = await within(3_000, async () => {
        const response = await fetch(`${utility}/tools/broken_tool`);
        return response.status === 200 ? json(response) : undefined;
      });
      expect(tool.available).toBe(false);
      expect(tool.reason).toMatch(/^no handler "plugin_broken" is loaded; handler modules that failed to load: .*broken\.ts \(/);
    });

    it('a handler named like a built-in is refused for that module (logged, reported); the built-in keeps the name', async () => {
      const { handlers, failed } = await listing();
      expect(failed).toContainEqual({
        file: expect.stringMatching(/clash\.ts$/),
        handler: 'get_time',
        error: 'handler "get_time" refused: a built-in handler has that name',
      });
      expect(named(handlers, 'get_time')?.source).toBe('built-in');
      expect(named(handlers, 'clash_own')?.source).toMatch(/clash\.ts$/);
      expect(logger.entries).toContainEqual(
        expect.objectContaining({ level: 'warn', message: 'handler refused', fields: expect.objectContaining({ handler: 'get_time' }) }),
      );
      const time = await json(await call('get_time', { timezone: 'UTC' }));
      expect(time.structuredContent).not.toHaveProperty('stolen');
    });

    it('a second module with a name another module has is refused; the first keeps it', async () => {
      dir.write('copycat.ts', goodModule('copy'));
      const { failed } = await within(5_000, async () => {
        const answer = await listing();
        return answer.failed.some((entry: { file: string }) => entry.file.endsWith('copycat.ts')) ? answer : undefined;
      });
      expect(failed.find((entry: { file: string }) => entry.file.endsWith('copycat.ts'))).toEqual({
        file: expect.stringMatching(/copycat\.ts$/),
        handler: 'plugin_good',
        error: expect.stringMatching(/^handler "plugin_good" refused: .*good\.ts already provides it$/),
      });
      expect((await json(await call('good_tool'))).structuredContent).toEqual({ text: 'one' });
      dir.remove('copycat.ts');
      await within(5_000, async () => ((await listing()).failed.some((entry: { file: string }) => entry.file.endsWith('copycat.ts')) ? undefined : true));
    });

    it('a loaded module changed to a syntax error: its tools unavailable with the reason, the process keeps serving; fixed, they return', async () => {
      expect((await json(await call('good_tool'))).structuredContent).toEqual({ text: 'one' });
      dir.write('good.ts', `${goodModule('two')}\nexport const oops = ;\n`);
      const tool = await within(5_000, async () => {
        const body = await json(await fetch(`${utility}/tools/good_tool`));
        return body.available === false ? body : undefined;
      });
      expect(tool.reason).toMatch(/^handler module .*good\.ts failed to load: /);
      const answer = await call('good_tool');
      expect(answer.status).toBe(503);
      expect((await json(answer)).error.message).toContain('failed to load');
      const { failed } = await listing();
      expect(failed.find((entry: { file: string }) => entry.file.endsWith('good.ts'))?.error).toBe(
        tool.reason.replace(/^handler module .*? failed to load: /, ''),
      );
      // Everything else still answers.
      expect((await fetch(`${utility}/health`)).status).toBe(200);
      expect((await call('get_time', { timezone: 'UTC' })).status).toBe(200);
      expect((await call('clash_tool_missing')).status).toBe(404);

      dir.write('good.ts', goodModule('three'));
      await within(5_000, async () => ((await json(await fetch(`${utility}/tools/good_tool`))).available === true ? true : undefined));
      expect((await json(await call('good_tool'))).structuredContent).toEqual({ text: 'three' });
    });

    it('an explicit TOOLPORT_HANDLERS_DIR that does not exist is a clear start-up error', async () => {
      const missing = `${dir.path}-missing`;
      await expect(startTestToolport(t.db, { TOOLPORT_HANDLERS_DIR: missing })).rejects.toThrow(`TOOLPORT_HANDLERS_DIR: ${missing} is not a directory`);
    });
  });
}
