// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { within } from '../live/within.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';
import { startUpstreamServer, type UpstreamServer } from './upstream-server.ts';

/**
 * Upstreams in the registry file (issue 17): `upstreams:` is exported
 * (references only, defaults left out, the synced mcp-proxy rows not listed
 * under their server), applied in the plan's one transaction (its tools then
 * sync), left alone by an unchanged re-apply, and pruned with --prune; a file
 * that names mcp-proxy tools, or an upstream of no server, is refused whole.
 */
const TOKEN = 'registry-file-upstream-token-9a8b7c';

describe.each(backends)('upstreams in registry files (%s)', (backend) => {
  let upstream: UpstreamServer;
  const t = useToolport(backend, { TOOLPORT_SECRET_UPSTREAM_TOKEN: TOKEN, TOOLPORT_CALL_TIMEOUT_MS: '3000' });
  const base = () => t.app.urls.utility!;
  const exported = async (query = '') => {
    const response = await fetch(`${base()}/registry/export${query}`);
    expect(response.status).toBe(200);
    return response.text();
  };
  const apply = async (text: string, query = '') => {
    const response = await fetch(`${base()}/registry/apply${query}`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: text });
    return { status: response.status, body: await json(response) };
  };
  const toolNames = async () => ((await json(await fetch(`${base()}/tools`))).tools as { name: string }[]).map((tool) => tool.name);
  const fileWith = async (upstreams: unknown[]) => {
    const document = parse(await exported());
    return JSON.stringify({ ...document, upstreams });
  };

  beforeAll(async () => {
    upstream = await startUpstreamServer();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('applies an upstream from the file: planned, created in one transaction, its tools synced', async () => {
    const entry = { id: 'filed', server: 'utility', url: upstream.url, headers: { authorization: 'Bearer ${secret:UPSTREAM_TOKEN}' }, priority: 2 };
    const text = await fileWith([entry]);
    const plan = await apply(text, '?dryRun=true');
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.changes).toEqual([{ kind: 'upstream', action: 'create', id: 'filed', at: '/upstreams/0' }]);
    expect((await json(await fetch(`${base()}/upstreams`))).count).toBe(0);

    const applied = await apply(text);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.summary).toMatchObject({ create: 1, update: 0, delete: 0 });
    await within(2000, async () => ((await toolNames()).includes('filed_echo') ? true : undefined), 'filed_echo synced');
    await t.app.toolport.access.audit.flush();
    const { entries } = await t.app.toolport.access.auditStore.list({ limit: 100 });
    const created = entries.filter((entry) => entry.action === 'upstream.create');
    expect(created).toHaveLength(1);
    expect(created[0]!.details).toMatchObject({ upstream: 'filed', server: 'utility', import: { kind: 'registry-apply' } });
  });

  it('exports it with references only and defaults left out; its synced tools are not listed under the server', async () => {
    const text = await exported();
    expect(text).not.toContain(TOKEN);
    const document = parse(text);
    expect(document.upstreams).toEqual([
      { id: 'filed', server: 'utility', url: upstream.url, headers: { authorization: 'Bearer ${secret:UPSTREAM_TOKEN}' }, priority: 2 },
    ]);
    const utility = document.servers.find((server: { id: string }) => server.id === 'utility');
    expect(utility.tools.map((tool: { name: string }) => tool.name)).not.toContain('filed_echo');
    expect(utility.tools.map((tool: { handler?: string }) => tool.handler)).not.toContain('mcp-proxy');
    // Per server: the upstreams feeding it.
    expect(parse(await exported('?server=finance')).upstreams).toBeUndefined();
    expect(parse(await exported('?server=utility')).upstreams).toHaveLength(1);
  });

  it('applying the export changes nothing (the synced rows are neither compared nor pruned)', async () => {
    const text = await exported();
    const again = await apply(text, '?prune=true');
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(again.body.summary).toMatchObject({ create: 0, update: 0, delete: 0 });
    expect(await toolNames()).toContain('filed_echo');
  });

  it('plans an update field by field, and applies it', async () => {
    const document = parse(await exported());
    document.upstreams[0].priority = 5;
    document.upstreams[0].exclude = ['pixel'];
    const plan = await apply(JSON.stringify(document), '?dryRun=true');
    expect(plan.body.changes).toEqual([
      {
        kind: 'upstream',
        action: 'update',
        id: 'filed',
        at: '/upstreams/0',
        fields: [
          { field: 'exclude', before: [], after: ['pixel'], patch: [{ op: 'add', path: '/-', value: 'pixel' }] },
          { field: 'priority', before: 2, after: 5 },
        ],
      },
    ]);
    expect((await apply(JSON.stringify(document))).status).toBe(200);
    const filed = await json(await fetch(`${base()}/upstreams/filed`));
    expect(filed.priority).toBe(5);
    // status counts what the upstream lists and what the globs keep.
    expect(filed.status).toMatchObject({ tools: 4, toolsSelected: 3 });
  });

  it('refuses a whole file naming mcp-proxy tools, a literal credential, or an upstream of no server; nothing is written', async () => {
    const before = await exported();
    const document = parse(before);
    const utility = document.servers.find((server: { id: string }) => server.id === 'utility');
    const cases: [unknown, string, RegExp][] = [
      [
        {
          ...document,
          servers: [
            ...document.servers.filter((s: { id: string }) => s.id !== 'utility'),
            { ...utility, tools: [...utility.tools, { name: 'x_echo', description: 'x', handler: 'mcp-proxy' }] },
          ],
        },
        'handler',
        /synced from an upstream/,
      ],
      [
        { ...document, upstreams: [{ id: 'leaky', server: 'utility', url: upstream.url, headers: { authorization: 'Bearer abc123' } }] },
        '/upstreams/0/headers',
        /reference/,
      ],
      [{ ...document, upstreams: [{ id: 'orphan', server: 'nowhere', url: upstream.url }] }, '/upstreams/0/server', /no server "nowhere"/],
    ];
    for (const [file, path, message] of cases) {
      const answer = await apply(JSON.stringify(file));
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error.details.some((detail: { path: string; message: string }) => detail.path.endsWith(path) && message.test(detail.message))).toBe(
        true,
      );
      expect(JSON.stringify(answer.body)).not.toContain('abc123');
    }
    expect(await exported()).toBe(before);
  });

  it('refuses to delete a server an upstream still feeds, and prunes an upstream the file leaves out: its tools go', async () => {
    const document = parse(await exported());
    const withoutUtility = { ...document, servers: document.servers.filter((s: { id: string }) => s.id !== 'utility') };
    const refused = await apply(JSON.stringify(withoutUtility), '?prune=true');
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    expect(refused.body.error.message).toMatch(/upstream "filed" still feeds it/);

    const { upstreams: _gone, ...without } = document;
    const plan = await apply(JSON.stringify(without), '?dryRun=true&prune=true');
    expect(plan.body.changes).toEqual([{ kind: 'upstream', action: 'delete', id: 'filed' }]);
    expect((await apply(JSON.stringify(without), '?prune=true')).status).toBe(200);
    expect((await json(await fetch(`${base()}/upstreams`))).count).toBe(0);
    await within(2000, async () => ((await toolNames()).includes('filed_echo') ? undefined : true), 'filed_echo removed');
  });
});
