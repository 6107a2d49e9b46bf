import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolRow } from '../../src/db/schema.ts';
import { handlers } from '../../src/handlers/index.ts';
import { buildEntry, makeSnapshot, patchSnapshot, type ToolEntry } from '../../src/registry/snapshot.ts';
import { within } from '../live/within.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

const EXTRA = 1_205;

for (const backend of backends) {
  describe(`GET /tools is paginated (${backend})`, () => {
    const t = useToolport(backend, { TOOLPORT_CHANGE_POLL_MS: '100' });
    let utility: string;
    const total = EXTRA + 4;

    beforeAll(async () => {
      utility = t.app.urls.utility!;
      await t.db.database.query(
        `insert into tools (server_id, name, description, input_schema, handler)
         select 'utility', 'bulk_' || lpad(i::text, 5, '0'), 'bulk tool ' || i, '{"type":"object"}', 'get_time' from generate_series(1, ${EXTRA}) as i`,
      );
      await within(5_000, async () => ((await json(await fetch(`${utility}/tools?limit=1`))).count === total ? true : undefined), 'bulk insert loaded');
    });

    it('the default page holds TOOLPORT_TOOLS_PAGE_SIZE (500) tools, the total count and a cursor; following the cursors lists every tool once, in order', async () => {
      const first = await json(await fetch(`${utility}/tools`));
      expect(first.count).toBe(total);
      expect(first.tools).toHaveLength(500);
      expect(typeof first.nextCursor).toBe('string');
      const names: string[] = first.tools.map((tool: { name: string }) => tool.name);
      let cursor: string | undefined = first.nextCursor;
      while (cursor) {
        const page = await json(await fetch(`${utility}/tools?cursor=${encodeURIComponent(cursor)}`));
        names.push(...page.tools.map((tool: { name: string }) => tool.name));
        cursor = page.nextCursor;
      }
      expect(names).toHaveLength(total);
      expect(new Set(names).size).toBe(total);
      expect([...names].sort()).toEqual(names);
    });

    it('q searches name, title and description (case-insensitive) and available filters; count is what matches, and the cursor pages the matches', async () => {
      const some = await json(await fetch(`${utility}/tools?q=BULK%20TOOL%2012&limit=5`));
      // 'bulk tool 12', 'bulk tool 120'…'129', 'bulk tool 1200'…'1205': 17 descriptions.
      expect(some.count).toBe(17);
      expect(some.tools).toHaveLength(5);
      const rest = await json(await fetch(`${utility}/tools?q=bulk%20tool%2012&limit=100&cursor=${encodeURIComponent(some.nextCursor)}`));
      expect(rest.tools).toHaveLength(12);
      expect(rest.nextCursor).toBeUndefined();
      expect((await json(await fetch(`${utility}/tools?q=weather`))).tools.map((tool: { name: string }) => tool.name)).toEqual(['get_weather']);
      expect((await json(await fetch(`${utility}/tools?available=false`))).count).toBe(0);
      expect((await json(await fetch(`${utility}/tools?available=true&limit=1`))).count).toBe(total);
      for (const bad of ['available=yes', `q=${'x'.repeat(201)}`]) {
        const refused = await fetch(`${utility}/tools?${bad}`);
        expect(refused.status).toBe(400);
        expect((await json(refused)).error.details[0].path).toMatch(/^\/query\/(available|q)$/);
      }
    });

    it('limit=all answers the whole registry at once (small registries); limit=N pages by N', async () => {
      const all = await json(await fetch(`${utility}/tools?limit=all`));
      expect(all.tools).toHaveLength(total);
      expect(all.nextCursor).toBeUndefined();
      const small = await json(await fetch(`${utility}/tools?limit=3`));
      expect(small.tools.map((tool: { name: string }) => tool.name)).toEqual(['bulk_00001', 'bulk_00002', 'bulk_00003']);
    });

    it('a tool added between two pages is neither skipped nor sent twice', async () => {
      const first = await json(await fetch(`${utility}/tools?limit=2`));
      expect(first.tools.map((tool: { name: string }) => tool.name)).toEqual(['bulk_00001', 'bulk_00002']);
      const added = await fetch(`${utility}/tools`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bulk_00002a', description: 'inserted between pages', handler: 'get_time' }),
      });
      expect(added.status).toBe(201);
      const second = await json(await fetch(`${utility}/tools?limit=2&cursor=${first.nextCursor}`));
      expect(second.tools.map((tool: { name: string }) => tool.name)).toEqual(['bulk_00002a', 'bulk_00003']);
    });

    it('a bad limit or cursor → 400 naming the query parameter', async () => {
      for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'cursor=%%%', 'cursor=bm90LWEtY3Vyc29y!']) {
        const response = await fetch(`${utility}/tools?${query}`);
        expect(response.status, query).toBe(400);
        const body = await json(response);
        expect(body.error.code).toBe('bad_request');
        expect(body.error.details[0].path).toMatch(/^\/query\/(limit|cursor)$/);
      }
    });
  });
}

describe('a write patches the snapshot instead of rebuilding it', () => {
  const server = {
    id: 's',
    name: 'S',
    description: '',
    port: null,
    enabled: true,
    rateLimit: null,
    auth: null,
    toolPrefix: null,
    compose: true,
    version: 1,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
  let version = 0;
  const row = (name: string, enabled = true): ToolRow =>
    ({
      id: `id-${name}`,
      serverId: 's',
      name,
      title: null,
      description: name,
      inputSchema: { type: 'object' },
      outputSchema: null,
      handler: 'get_time',
      handlerConfig: {},
      annotations: {},
      enabled,
      version: ++version,
      createdAt: new Date(0),
      updatedAt: new Date(0),
    }) as ToolRow;

  it('after any sequence of inserts, changes and removals the patched snapshot equals a rebuilt one', () => {
    let tools = new Map<string, ToolEntry>();
    let snapshot = makeSnapshot(server, 1, tools);
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let step = 0; step < 2_000; step++) {
      const name = `t${Math.floor(random() * 300)}`;
      const entry = random() < 0.2 ? undefined : buildEntry(row(name, random() < 0.8), handlers, undefined);
      snapshot = patchSnapshot(snapshot, snapshot.revision + 1, new Map([[name, entry]]));
      tools = new Map(tools);
      if (entry) tools.set(name, entry);
      else tools.delete(name);
    }
    const rebuilt = makeSnapshot(server, snapshot.revision, tools);
    expect(snapshot.ordered.map((entry) => entry.name)).toEqual(rebuilt.ordered.map((entry) => entry.name));
    expect(snapshot.available.map((entry) => entry.name)).toEqual(rebuilt.available.map((entry) => entry.name));
    expect([...snapshot.tools.keys()].sort()).toEqual([...rebuilt.tools.keys()].sort());
  });
});
