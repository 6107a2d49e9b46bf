import { describe, expect, it } from 'vitest';
import { connectModern } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';

/**
 * `x-mcp-header` (MCP 2026-07-28, SEP-2243) in a tool's input schema: an
 * annotation the validator accepts where the spec permits it (it was refused
 * as an unknown keyword, so an upstream tool declaring it was skipped), and
 * refuses, naming the place and the rule, where an SDK client would drop the
 * tool from its list. A registered tool keeps the keyword in its schema, and
 * a 2026-07-28 client lists it and calls it.
 */
describe.each(backends)('x-mcp-header in input schemas (%s)', (backend) => {
  const t = useToolport(backend);
  const register = async (name: string, inputSchema: unknown) => {
    const response = await fetch(`${t.app.urls.utility!}/tools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, description: `x-mcp-header: ${name}`, handler: 'text_analyzer', inputSchema }),
    });
    return { status: response.status, body: await json(response) };
  };
  const refused = async (name: string, inputSchema: unknown, path: string, message: RegExp) => {
    const result = await register(name, inputSchema);
    expect(result.status, JSON.stringify(result.body)).toBe(400);
    expect(result.body.error.details).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
    expect((await fetch(`${t.app.urls.utility!}/tools/${name}`)).status).toBe(404);
  };
  const text = (extra: Record<string, unknown> = {}) => ({ type: 'string', ...extra });

  it('accepts a declaration on a top-level or nested primitive property; clients list and call the tool', async () => {
    const schema = {
      type: 'object',
      properties: {
        text: text({ 'x-mcp-header': 'Document' }),
        options: { type: 'object', properties: { strict: { type: 'boolean', 'x-mcp-header': 'Strict' } } },
      },
      required: ['text'],
    };
    const created = await register('routed_analyzer', schema);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.inputSchema).toEqual(schema);
    const client = await connectModern(t.app.urls.utility!);
    try {
      const { tools } = await client.listTools();
      expect(tools.find((tool) => tool.name === 'routed_analyzer')?.inputSchema).toEqual(schema);
      const result = await client.callTool({ name: 'routed_analyzer', arguments: { text: 'one two', options: { strict: true } } });
      expect(result.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it('refuses a declaration where the spec does not permit it, naming the place and the rule', async () => {
    await refused(
      'under_items',
      { type: 'object', properties: { list: { type: 'array', items: text({ 'x-mcp-header': 'Item' }) } } },
      '/inputSchema/properties/list/items/x-mcp-header',
      /through 'properties' alone/,
    );
    await refused(
      'under_any_of',
      { type: 'object', properties: { a: { anyOf: [text({ 'x-mcp-header': 'A' })] } } },
      '/inputSchema/properties/a/anyOf/0/x-mcp-header',
      /through 'properties' alone/,
    );
    await refused('on_root', { type: 'object', 'x-mcp-header': 'Root' }, '/inputSchema/x-mcp-header', /through 'properties' alone/);
    await refused(
      'bad_token',
      { type: 'object', properties: { a: text({ 'x-mcp-header': 'Two Words' }) } },
      '/inputSchema/properties/a/x-mcp-header',
      /RFC 9110 token/,
    );
    await refused('not_string', { type: 'object', properties: { a: text({ 'x-mcp-header': 7 }) } }, '/inputSchema/properties/a/x-mcp-header', /RFC 9110 token/);
    await refused(
      'on_number',
      { type: 'object', properties: { a: { type: 'number', 'x-mcp-header': 'Amount' } } },
      '/inputSchema/properties/a/x-mcp-header',
      /string, integer or boolean .*"number"/,
    );
    await refused(
      'on_object',
      { type: 'object', properties: { a: { type: 'object', 'x-mcp-header': 'Obj' } } },
      '/inputSchema/properties/a/x-mcp-header',
      /string, integer or boolean/,
    );
    await refused(
      'twice',
      { type: 'object', properties: { a: text({ 'x-mcp-header': 'Region' }), b: text({ 'x-mcp-header': 'region' }) } },
      '/inputSchema/properties/b/x-mcp-header',
      /"region", which \/inputSchema\/properties\/a names already/,
    );
    expect((await fetch(`${t.app.urls.utility!}/health`)).status).toBe(200);
  });

  it('a property named x-mcp-header is a name, not the keyword', async () => {
    const created = await register('named_property', { type: 'object', properties: { 'x-mcp-header': { type: 'array' } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });
});
