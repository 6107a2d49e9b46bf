// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here.

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ADMIN_TOKEN, auditOf, bearer, connectModernAs, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { countModernChanges } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { restClient } from './access-support.ts';

const admin = bearer(ADMIN_TOKEN);
const yamlBody = (headers: Record<string, string> = admin) => ({ ...headers, 'content-type': 'application/yaml' });

async function post(url: string, text: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers, body: text });
  return { status: response.status, body: (await response.json()) as any };
}

/** GET /registry/export and POST /registry/apply: the registry as a file, a plan, one transaction. */
describe.each(backends)('the registry file over REST (%s)', (backend) => {
  const t = useToolport(backend, {
    ...KEYED_ENV,
    TOOLPORT_GATEWAY_PORT: '0',
    TOOLPORT_CHANGE_POLL_MS: '50',
    TOOLPORT_SERVERS: 'finance:0,utility:0,*',
    TOOLPORT_SECRET_ORDERS_TOKEN: 'the-secret-value-0123',
  });
  const { send } = restClient();
  const base = () => t.app.urls.finance!;
  const exported = async (query = '') => {
    const response = await fetch(`${base()}/registry/export${query}`, { headers: admin });
    expect(response.status).toBe(200);
    return { type: response.headers.get('content-type'), text: await response.text() };
  };
  const versions = async () => (await t.db.database.query(`SELECT server_id || '/' || name AS id, version FROM tools ORDER BY 1`)).rows;

  it('exports deterministically (YAML and JSON), and applying the export changes nothing', async () => {
    const first = await exported();
    expect(first.type).toBe('application/yaml; charset=utf-8');
    expect((await exported()).text).toBe(first.text);
    const document = parse(first.text);
    expect(document.servers.map((server: { id: string }) => server.id)).toEqual(['finance', 'utility']);
    expect(document.servers[1].tools.map((tool: { name: string }) => tool.name)).toEqual(['data_processor', 'get_time', 'get_weather', 'text_analyzer']);
    expect(document.dataSources).toEqual([]);
    const json = await exported('?format=json');
    expect(JSON.parse(json.text)).toEqual(document);
    const only = parse((await exported('?server=utility')).text);
    expect(only.servers.map((server: { id: string }) => server.id)).toEqual(['utility']);
    expect(only.dataSources).toBeUndefined();

    const before = await versions();
    const plan = await post(`${base()}/registry/apply?dryRun=true&prune=true`, first.text, yamlBody());
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ applied: false, dryRun: true, summary: { create: 0, update: 0, delete: 0, unchanged: 9 }, changes: [] });
    expect(plan.body.text).toMatch(/^No changes\./);
    const applied = await post(`${base()}/registry/apply?prune=true`, json.text, { ...admin, 'content-type': 'application/json' });
    expect(applied.body).toMatchObject({ applied: false, summary: { create: 0, update: 0, delete: 0 } });
    expect(await versions()).toEqual(before);
  });

  it('an edited description and a deleted tool: the dry run shows one update and one delete and writes nothing; the apply does both, once; MCP clients get list_changed', async () => {
    const document = parse((await exported()).text);
    const utility = document.servers.find((server: { id: string }) => server.id === 'utility');
    utility.tools.find((tool: { name: string }) => tool.name === 'get_time').description = 'The time, from the registry file';
    utility.tools = utility.tools.filter((tool: { name: string }) => tool.name !== 'text_analyzer');
    const text = JSON.stringify(document);
    const before = await versions();

    const plan = await post(`${base()}/registry/apply?dryRun=true&prune=true`, text, { ...admin, 'content-type': 'application/json' });
    expect(plan.body.summary).toEqual({ create: 0, update: 1, delete: 1, unchanged: 7 });
    expect(plan.body.changes).toEqual([
      {
        kind: 'tool',
        action: 'update',
        id: 'utility/get_time',
        at: '/servers/1/tools/1',
        fields: [{ field: 'description', before: expect.stringContaining('IANA'), after: 'The time, from the registry file' }],
      },
      { kind: 'tool', action: 'delete', id: 'utility/text_analyzer' },
    ]);
    expect(plan.body.text).toContain('~ update tool utility/get_time');
    expect(plan.body.text).toContain('- delete tool utility/text_analyzer');
    expect(await versions()).toEqual(before);
    // Without prune, nothing is deleted.
    expect((await post(`${base()}/registry/apply?dryRun=true`, text, { ...admin, 'content-type': 'application/json' })).body.summary.delete).toBe(0);

    const client = await connectModernAs(t.app.urls.utility!, ADMIN_TOKEN);
    const changes = countModernChanges(client);
    await client.listen({ toolsListChanged: true });
    const applied = await post(`${base()}/registry/apply?prune=true`, text, { ...admin, 'content-type': 'application/json' });
    expect(applied.body).toMatchObject({ applied: true, summary: { update: 1, delete: 1 } });
    expect(applied.body.text).toContain('Applied: 0 created, 1 updated, 1 deleted');
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).not.toContain('text_analyzer');
    await changes.reach(1, 2000);
    expect(changes.count).toBeGreaterThan(0);
    await client.close();

    const again = await post(`${base()}/registry/apply?prune=true`, text, { ...admin, 'content-type': 'application/json' });
    expect(again.body).toMatchObject({ applied: false, summary: { create: 0, update: 0, delete: 0 } });
    expect(again.body.text).toMatch(/^No changes\. The registry matches the file/);
    const history = await send(`${t.app.urls.utility}/tools/get_time/revisions?limit=1`, 'GET', undefined, admin);
    expect(history.body.revisions[0]).toMatchObject({ actor: 'admin-token', operation: 'update', changed: ['description'] });
    const audit = await auditOf(t.app, 'admin-token');
    expect(audit.some((entry) => entry.action === 'import' && (entry.details as { import?: { kind?: string } }).import?.kind === 'registry-apply')).toBe(true);
  });

  it('creates a server and its tools (served at once on the gateway), and a data source by secret reference; a fingerprint guards a reviewed plan', async () => {
    const text = `
servers:
  - id: reports
    name: Reports
    tools:
      - name: report_time
        description: Time for reports
        handler: get_time
        rateLimit: 10/s
dataSources:
  - id: warehouse
    url: \${secret:WAREHOUSE_URL}
    rowLimit: 50
`;
    const plan = await post(`${base()}/registry/apply?dryRun=true&server=reports`, text, yamlBody());
    expect(plan.body.changes.map((change: { action: string; id: string }) => `${change.action} ${change.id}`)).toEqual([
      'create reports',
      'create reports/report_time',
    ]);
    await send(`${base()}/tools/get_stock_price`, 'PATCH', { description: 'Changed meanwhile' }, admin);
    const everything = await post(`${base()}/registry/apply?dryRun=true`, text, yamlBody());
    expect(everything.body.summary).toMatchObject({ create: 3 });
    const fingerprint = everything.body.fingerprint;
    await t.db.database.query(`UPDATE tools SET description = 'also changed' WHERE server_id = 'finance' AND name = 'get_stock_price'`);
    // The finance server is not in this file's scope: its edit does not stale the plan.
    expect((await post(`${base()}/registry/apply?fingerprint=${fingerprint}`, text, yamlBody())).status).toBe(200);
    const served = await send(`${t.app.gatewayUrl}/reports/tools/report_time`, 'GET', undefined, admin);
    expect(served.status).toBe(200);
    const sources = await send(`${base()}/data-sources/warehouse`, 'GET', undefined, admin);
    expect(sources.body).toMatchObject({ id: 'warehouse', url: '${secret:WAREHOUSE_URL}', rowLimit: 50 });
    const rate = await t.db.database.query(`SELECT rate_limit FROM tools WHERE name = 'report_time'`);
    expect(rate.rows[0]!.rate_limit).toBe('10/s');

    const changed = text.replace('Time for reports', 'Reports time');
    const stalePlan = await post(`${base()}/registry/apply?dryRun=true`, changed, yamlBody());
    await send(`${t.app.gatewayUrl}/reports/tools/report_time`, 'PATCH', { description: 'Edited after the plan' }, admin);
    const refused = await post(`${base()}/registry/apply?fingerprint=${stalePlan.body.fingerprint}`, changed, yamlBody());
    expect(refused.status).toBe(412);
    expect(refused.body.error.message).toMatch(/The registry changed since the plan was made/);
    expect((await send(`${t.app.gatewayUrl}/reports/tools/report_time`, 'GET', undefined, admin)).body.description).toBe('Edited after the plan');
  });

  it('refuses a broken file naming every path (and line), writing nothing; bad queries and media types', async () => {
    const before = await versions();
    const text = `servers:
  - id: utility
    name: Utility
    tools:
      - name: get_time
        inputSchema:
          type: object
          properties:
            zone:
              type: strnig
      - name: get_time
      - name: new_tool
        description: New
        handler: no_such_handler
      - name: typo
        description: Typo
        colour: red
dataSources:
  - id: leaky
    url: postgres://admin:hunter2@db.example.com/prod
`;
    const refused = await post(`${base()}/registry/apply`, text, yamlBody());
    expect(refused.status).toBe(400);
    const paths = refused.body.error.details.map((detail: { path: string }) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(['/servers/0/tools/3/colour']));
    expect(refused.body.error.message).toMatch(/request body \(yaml\):17:\d+ \/servers\/0\/tools\/3\/colour: is not a known field of a tool/);
    expect(JSON.stringify(refused.body)).not.toContain('hunter2');

    const noTypo = text.replace('        colour: red\n', '');
    const second = await post(`${base()}/registry/apply`, noTypo, yamlBody());
    expect(second.status).toBe(400);
    const details = second.body.error.details.map((detail: { path: string; message: string }) => `${detail.path}: ${detail.message}`);
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/servers\/0\/tools\/1\/name: tool "get_time" is listed twice/),
        expect.stringMatching(/^\/servers\/0\/tools\/2\/handler: /),
        expect.stringMatching(/^\/dataSources\/0\/url: must be a secret reference/),
      ]),
    );
    expect(JSON.stringify(second.body)).not.toContain('hunter2');
    const fixed = noTypo
      .replace('      - name: get_time\n      - name: new_tool', '      - name: new_tool')
      .replace('handler: no_such_handler', 'handler: get_time')
      .replace(/dataSources:[\s\S]*$/, '');
    const deep = await post(`${base()}/registry/apply`, fixed, yamlBody());
    expect(deep.status).toBe(400);
    expect([...new Set(deep.body.error.details.map((detail: { path: string }) => detail.path))]).toEqual([
      '/servers/0/tools/0/inputSchema/properties/zone/type',
    ]);
    expect(deep.body.error.message).toMatch(/:10:\d+/);
    expect(await versions()).toEqual(before);

    expect((await post(`${base()}/registry/apply`, 'servers: [', yamlBody())).body.error.message).toMatch(/is not valid YAML/);
    expect((await post(`${base()}/registry/apply`, 'servers:\n  - id: a\n  - id: a\n    id: b\n', yamlBody())).body.error.message).toMatch(
      /:4:\d+ is not valid YAML: duplicated mapping key/,
    );
    // Aliases are refused, so a "billion laughs" file costs nothing.
    const laughs = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefghij'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`),
      'servers: []',
    ].join('\n');
    const aliased = await post(`${base()}/registry/apply`, laughs, yamlBody());
    expect(aliased.status).toBe(400);
    expect(aliased.body.error.message).toMatch(/is a YAML alias/);
    expect((await post(`${base()}/registry/apply`, '[]', { ...admin, 'content-type': 'application/json' })).status).toBe(400);
    expect((await post(`${base()}/registry/apply`, 'servers: []', { ...admin, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post(`${base()}/registry/apply?dryRun=maybe`, 'servers: []', yamlBody())).body.error.details[0].path).toBe('/query/dryRun');
    expect((await send(`${base()}/registry/export?format=xml`, 'GET', undefined, admin)).status).toBe(400);
    expect((await send(`${base()}/registry/export?server=nope`, 'GET', undefined, admin)).status).toBe(404);
    expect((await post(`${base()}/registry/apply?server=nope`, 'servers: []', yamlBody())).status).toBe(404);
    expect((await send(`${base()}/health`)).status).toBe(200);
  });

  it('secrets stay references: in the export, the plan, the history and the diff, never the value', async () => {
    const tool = {
      name: 'orders_lookup',
      description: 'Look up an order',
      handler: 'http',
      inputSchema: { type: 'object', required: ['order_id'], properties: { order_id: { type: 'string' } } },
      config: { method: 'GET', url: 'https://api.example.com/v1/orders/{order_id}', headers: { Authorization: 'Bearer ${secret:ORDERS_TOKEN}' } },
    };
    expect((await send(`${base()}/tools`, 'POST', tool, admin)).status).toBe(201);
    const text = (await exported()).text;
    expect(text).toContain('Bearer ${secret:ORDERS_TOKEN}');
    const changed = text.replace('Bearer ${secret:ORDERS_TOKEN}', 'Token ${secret:ORDERS_TOKEN}');
    const plan = await post(`${base()}/registry/apply?prune=true`, changed, yamlBody());
    expect(plan.body.changes).toEqual([expect.objectContaining({ id: 'finance/orders_lookup', action: 'update' })]);
    const history = await send(`${base()}/tools/orders_lookup/revisions/2`, 'GET', undefined, admin);
    expect(history.body.definition.config.headers.Authorization).toBe('Token ${secret:ORDERS_TOKEN}');
    const diff = await send(`${base()}/tools/orders_lookup/diff?from=1&to=2`, 'GET', undefined, admin);
    expect(diff.body.changed).toEqual(['config']);
    const everything = [text, JSON.stringify(plan.body), history.text, diff.text, (await exported('?format=json')).text].join('\n');
    expect(everything).not.toContain('the-secret-value-0123');
    const stored = await t.db.database.query(`SELECT definition::text AS d FROM tool_revisions WHERE name = 'orders_lookup'`);
    expect(stored.rows.map((row) => String(row.d)).join('')).not.toContain('the-secret-value-0123');
  });

  it('is admin only: missing, wrong, revoked and non-admin credentials are refused', async () => {
    expect((await send(`${base()}/registry/export`)).status).toBe(401);
    expect((await send(`${base()}/registry/export`, 'GET', undefined, bearer('tp_wrong_key_0123456789'))).status).toBe(401);
    const writer = await createKey(t.app, 'finance-writer', ['finance:write', 'utility:write']);
    expect((await send(`${base()}/registry/export`, 'GET', undefined, bearer(writer.key))).status).toBe(403);
    expect((await post(`${base()}/registry/apply?dryRun=true`, 'servers: []', yamlBody(bearer(writer.key)))).status).toBe(403);
    const owner = await createKey(t.app, 'registry-admin', ['admin']);
    expect((await post(`${base()}/registry/apply?dryRun=true`, 'servers: []', yamlBody(bearer(owner.key)))).status).toBe(200);
    await t.app.toolport.access.keys.revoke('admin-token', owner.id);
    expect((await post(`${base()}/registry/apply?dryRun=true`, 'servers: []', yamlBody(bearer(owner.key)))).status).toBe(401);
    // A web page cannot post a file: a foreign Origin is refused before anything is read.
    expect((await post(`${base()}/registry/apply`, 'servers: []', { ...yamlBody(), origin: 'https://evil.example' })).status).toBe(403);
  });
});
