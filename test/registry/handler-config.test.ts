import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineHandler, type Handler } from '../../src/handlers/define.ts';
import { handlers as builtIn } from '../../src/handlers/index.ts';
import { within } from '../live/within.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

// A handler whose behaviour comes from the row's handler_config, checked by its own schema.
const greeter = defineHandler({
  name: 'greeter',
  description: 'Greets by the configured greeting',
  input: v.object({ name: v.string() }),
  config: v.object({ greeting: v.pipe(v.string(), v.minLength(1)), times: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1) }),
  run: ({ name }, ctx) => ({ text: Array.from({ length: ctx.config.times }, () => `${ctx.config.greeting}, ${name}`).join(' ') }),
});

const handlers = new Map<string, Handler>([...builtIn, [greeter.name, greeter]]);

for (const backend of backends) {
  describe(`handler configuration is validated (${backend})`, () => {
    const t = useToolport(backend, { TOOLPORT_CHANGE_POLL_MS: '100' }, { handlers });
    let utility: string;
    const post = (body: unknown) => fetch(`${utility}/tools`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const call = (name: string) =>
      fetch(`${utility}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, arguments: { name: 'Ada' } }),
      });

    beforeAll(() => {
      utility = t.app.urls.utility!;
    });

    it('a write with a config the handler refuses → 400 naming the field path; nothing is stored', async () => {
      const response = await post({ name: 'hello_bad', description: 'x', handler: 'greeter', config: { greeting: '', times: 0.5 } });
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body.error.code).toBe('bad_request');
      expect(body.error.details.map((detail: { path: string }) => detail.path)).toContain('/config/greeting');
      expect(body.error.message).toMatch(/Invalid config for handler "greeter"/);
      expect((await fetch(`${utility}/tools/hello_bad`)).status).toBe(404);
      const rows = await t.db.database.query(`select count(*)::int as n from tools where name = 'hello_bad'`);
      expect(rows.rows[0]!.n).toBe(0);
    });

    it('a valid config is parsed (defaults applied) and handed to the handler', async () => {
      expect((await post({ name: 'hello', description: 'Say hello', handler: 'greeter', config: { greeting: 'Hello' } })).status).toBe(201);
      const response = await call('hello');
      expect(response.status).toBe(200);
      expect((await json(response)).structuredContent).toEqual({ text: 'Hello, Ada' });
    });

    it('a PATCH to a bad config → 400, the tool keeps its version and config', async () => {
      const before = await json(await fetch(`${utility}/tools/hello`));
      const response = await fetch(`${utility}/tools/hello`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ config: { greeting: 42 } }),
      });
      expect(response.status).toBe(400);
      expect((await json(response)).error.details[0].path).toBe('/config/greeting');
      const after = await json(await fetch(`${utility}/tools/hello`));
      expect(after.version).toBe(before.version);
      expect(after.config).toEqual({ greeting: 'Hello' });
    });

    it('a row whose config does not parse (written in SQL) is unavailable with the reason, until it is fixed', async () => {
      await t.db.database.query(`update tools set handler_config = '{"greeting": 7}' where server_id = 'utility' and name = 'hello'`);
      const broken = await within(3_000, async () => {
        const tool = await json(await fetch(`${utility}/tools/hello`));
        expect(tool.available).toBe(false);
        return tool;
      });
      expect(broken.reason).toMatch(/^handler_config: \/handler_config\/greeting/);
      expect((await call('hello')).status).toBe(503);
      await t.db.database.query(`update tools set handler_config = '{"greeting": "Hi", "times": 2}' where server_id = 'utility' and name = 'hello'`);
      await within(3_000, async () => ((await json(await fetch(`${utility}/tools/hello`))).available === true ? true : undefined));
      expect((await json(await call('hello'))).structuredContent).toEqual({ text: 'Hi, Ada Hi, Ada' });
    });

    it('the write service records who changed what: the REST caller, and sql:<role> for a direct SQL edit', async () => {
      const rows = await t.db.database.query(`select operation, actor from registry_changes where table_name = 'tools' and name = 'hello' order by id`);
      expect(rows.rows[0]).toEqual({ operation: 'INSERT', actor: 'local' });
      expect(rows.rows.at(-1)!.actor).toMatch(/^sql:/);
      const seeded = await t.db.database.query(`select distinct actor from registry_changes where name = 'get_time' and operation = 'INSERT'`);
      expect(seeded.rows).toEqual([{ actor: 'seed' }]);
    });
  });
}
