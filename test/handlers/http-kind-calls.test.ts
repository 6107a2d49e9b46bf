// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.ts';
import { within } from '../live/within.ts';
import { connectLegacy, connectModern } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';
import { sendJson, startUpstream, type Upstream } from './http-kind-upstream.ts';

// http tools against a real upstream on 127.0.0.1 (allowed by TOOLPORT_HTTP_ALLOW), registered over REST and SQL,
// called over REST and both MCP eras.

const TOKEN = 'sk-live-7f3a9c2e5b1d4f60';
const QUERY_KEY = 'qk/with space&plus+';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

describe.each(backends)('http tools: arguments, secrets, results (%s)', (backend) => {
  const logs: string[] = [];
  let upstream: Upstream;
  const t = useToolport(
    backend,
    {
      TOOLPORT_HTTP_ALLOW: '127.0.0.1/32',
      TOOLPORT_SECRET_BILLING_TOKEN: TOKEN,
      TOOLPORT_SECRET_QUERY_KEY: QUERY_KEY,
      TOOLPORT_CHANGE_POLL_MS: '100',
    },
    { logger: createLogger('debug', (line) => logs.push(line)) },
  );
  let utility: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    utility = t.app.urls.utility!;
    // Echoes what it received, so the tests see what the tool sent (and whether a secret comes back).
    upstream.route('/echo*', (request, response) =>
      sendJson(response, 200, { method: request.method, url: request.url, headers: request.headers, body: request.body }),
    );
  });
  afterAll(() => upstream?.close());

  const register = (body: Record<string, unknown>) =>
    fetch(`${utility}/tools`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const call = async (name: string, args: Record<string, unknown>) => {
    const response = await fetch(`${utility}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, arguments: args }),
    });
    return { status: response.status, body: await json(response) };
  };
  const expectCreated = async (body: Record<string, unknown>) => {
    const response = await register(body);
    const view = await json(response);
    expect(response.status, JSON.stringify(view)).toBe(201);
    expect(view.available, view.reason).toBe(true);
    return view;
  };

  it('places every argument: path segment (percent-encoded), query (arrays repeat the key), headerArgs, and the rest as the JSON body', async () => {
    await expectCreated({
      name: 'add_item',
      description: 'Add an item to an order',
      handler: 'http',
      inputSchema: {
        type: 'object',
        properties: {
          order_id: { type: 'string' },
          tag: { type: 'array', items: { type: 'string' } },
          request_id: { type: 'string' },
          note: { type: 'string' },
          qty: { type: 'integer' },
        },
        // Not required on purpose: the kind itself refuses a call without the URL's value (next test).
      },
      config: { method: 'POST', url: `${upstream.url}/echo/orders/{order_id}/items`, query: ['tag'], headerArgs: { request_id: 'X-Request-Id' } },
    });
    const { status, body } = await call('add_item', { order_id: 'a/b c?#', tag: ['x', 'y z'], request_id: 'r-1', note: 'hi', qty: 2 });
    expect(status).toBe(200);
    const sent = upstream.seen.at(-1)!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/echo/orders/a%2Fb%20c%3F%23/items?tag=x&tag=y+z');
    expect(sent.headers['x-request-id']).toBe('r-1');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body)).toEqual({ note: 'hi', qty: 2 });
    // JSON answers are the result's structuredContent.
    expect(body.structuredContent).toMatchObject({ method: 'POST', url: sent.url });
  });

  it('sends the call’s request id upstream as X-Request-Id (the one in the caller’s answer)', async () => {
    await expectCreated({
      name: 'traced',
      description: 'A traced request',
      handler: 'http',
      inputSchema: { type: 'object', properties: {} },
      config: { method: 'GET', url: `${upstream.url}/echo/traced` },
    });
    const response = await fetch(`${utility}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-abc-123' },
      body: JSON.stringify({ name: 'traced', arguments: {} }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
    expect(upstream.seen.at(-1)!.headers['x-request-id']).toBe('trace-abc-123');
  });

  it('a URL value that is missing is a 400 naming the argument; nothing is sent', async () => {
    const before = upstream.seen.length;
    const { status, body } = await call('add_item', { note: 'no id' });
    expect(status).toBe(400);
    expect(body.error.details[0].path).toBe('/arguments/order_id');
    expect(body.error.message).toMatch(/order_id/);
    expect(upstream.seen.length).toBe(before);
  });

  it('secrets are resolved into the request and redacted from the result; GET /tools shows only the references', async () => {
    const config = {
      url: `${upstream.url}/echo/invoices`,
      query: ['customer'],
      staticQuery: { api_key: '${secret:QUERY_KEY}' },
      headers: { authorization: 'Bearer ${secret:BILLING_TOKEN}' },
    };
    await expectCreated({
      name: 'list_invoices',
      description: 'Invoices of a customer',
      handler: 'http',
      parameters: [{ name: 'customer', type: 'string', required: true }],
      config,
    });
    const { status, body } = await call('list_invoices', { customer: 'c-9' });
    expect(status).toBe(200);
    const sent = upstream.seen.at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(new URL(sent.url, upstream.url).searchParams.get('api_key')).toBe(QUERY_KEY);
    expect(new URL(sent.url, upstream.url).searchParams.get('customer')).toBe('c-9');
    // The upstream echoed both secrets back: the result carries neither, in any spelling.
    const text = JSON.stringify(body);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(encodeURIComponent(QUERY_KEY));
    expect(text).not.toContain(new URLSearchParams({ k: QUERY_KEY }).toString().slice(2));
    expect(body.structuredContent.headers.authorization).toBe('Bearer [redacted]');
    expect(body.structuredContent.url).toContain('api_key=[redacted]');

    const view = await json(await fetch(`${utility}/tools/list_invoices`));
    expect(view.config).toMatchObject(config);
    const listed = await (await fetch(`${utility}/tools`)).text();
    expect(listed).not.toContain(TOKEN);
    expect(listed).not.toContain('qk/with');
  });

  it('an upstream 4xx is an isError result with the status and the body (redacted), over REST and MCP', async () => {
    upstream.route('/orders/missing', (request, response) => sendJson(response, 404, { error: 'no such order', echoedAuth: request.headers.authorization }));
    await expectCreated({
      name: 'get_missing',
      description: 'An order that is not there',
      handler: 'http',
      inputSchema: { type: 'object', properties: {} },
      config: { url: `${upstream.url}/orders/missing`, headers: { authorization: 'Bearer ${secret:BILLING_TOKEN}' } },
    });
    const { status, body } = await call('get_missing', {});
    expect(status).toBe(200);
    expect(body.isError).toBe(true);
    expect(body.content[0].text).toMatch(/404 Not Found/);
    expect(body.content[0].text).toContain('no such order');
    expect(body.content[0].text).toContain('Bearer [redacted]');
    expect(JSON.stringify(body)).not.toContain(TOKEN);

    const client = await connectModern(utility);
    try {
      const result = (await client.callTool({ name: 'get_missing', arguments: {} })) as { isError?: boolean; content: { text: string }[] };
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toMatch(/404 Not Found.*no such order/s);
      expect(JSON.stringify(result)).not.toContain(TOKEN);
    } finally {
      await client.close();
    }
  });

  it('maps text/* to a text block, image/* to an image block, other types to an embedded resource blob', async () => {
    upstream.route('/report.txt', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('total: 42 €');
    });
    upstream.route('/chart.png', (_request, response) => {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(PNG);
    });
    upstream.route('/report.pdf', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/pdf' });
      response.end(Buffer.from('%PDF-1.4 fake but bytes'));
    });
    const empty = { type: 'object', properties: {} };
    for (const [name, path] of [
      ['get_text', '/report.txt'],
      ['get_chart', '/chart.png'],
      ['get_pdf', '/report.pdf'],
    ]) {
      await expectCreated({ name, description: `GET ${path}`, handler: 'http', inputSchema: empty, config: { url: `${upstream.url}${path}` } });
    }
    expect((await call('get_text', {})).body.content).toEqual([{ type: 'text', text: 'total: 42 €' }]);
    expect((await call('get_chart', {})).body.content).toEqual([{ type: 'image', data: PNG.toString('base64'), mimeType: 'image/png' }]);
    const pdf = (await call('get_pdf', {})).body.content[0];
    expect(pdf).toEqual({
      type: 'resource',
      resource: { uri: `${upstream.url}/report.pdf`, mimeType: 'application/pdf', blob: Buffer.from('%PDF-1.4 fake but bytes').toString('base64') },
    });
  });

  it('decodes text in the charset the upstream names, whatever its case; UTF-8 with a BOM loses the BOM', async () => {
    upstream.route('/latin1.txt', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain; Charset=ISO-8859-1' });
      response.end(Buffer.from([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
    });
    upstream.route('/bom.txt', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('total: 42 €')]));
    });
    const empty = { type: 'object', properties: {} };
    await expectCreated({ name: 'get_latin1', description: 'GET latin1', handler: 'http', inputSchema: empty, config: { url: `${upstream.url}/latin1.txt` } });
    await expectCreated({ name: 'get_bom', description: 'GET bom', handler: 'http', inputSchema: empty, config: { url: `${upstream.url}/bom.txt` } });
    expect((await call('get_latin1', {})).body.content).toEqual([{ type: 'text', text: 'café' }]);
    expect((await call('get_bom', {})).body.content).toEqual([{ type: 'text', text: 'total: 42 €' }]);
  });

  it('a JSON array or scalar is wrapped as { result }; select narrows the response with JMESPath', async () => {
    upstream.route('/pets', (_request, response) =>
      sendJson(response, 200, [
        { name: 'Rex', kind: 'dog', age: 3 },
        { name: 'Tom', kind: 'cat', age: 5 },
      ]),
    );
    const empty = { type: 'object', properties: {} };
    await expectCreated({ name: 'all_pets', description: 'All pets', handler: 'http', inputSchema: empty, config: { url: `${upstream.url}/pets` } });
    await expectCreated({
      name: 'pet_names',
      description: 'Pet names',
      handler: 'http',
      inputSchema: empty,
      config: { url: `${upstream.url}/pets`, select: '[].name' },
    });
    await expectCreated({
      name: 'oldest_pet',
      description: 'The oldest pet',
      handler: 'http',
      inputSchema: empty,
      config: { url: `${upstream.url}/pets`, select: 'max_by(@, &age)' },
    });
    expect((await call('all_pets', {})).body.structuredContent).toEqual({
      result: [expect.objectContaining({ name: 'Rex' }), expect.objectContaining({ name: 'Tom' })],
    });
    expect((await call('pet_names', {})).body.structuredContent).toEqual({ result: ['Rex', 'Tom'] });
    expect((await call('oldest_pet', {})).body.structuredContent).toEqual({ name: 'Tom', kind: 'cat', age: 5 });
  });

  it('is called over MCP by both client generations', async () => {
    const modern = await connectModern(utility);
    const legacy = await connectLegacy(utility);
    try {
      const listed = await modern.listTools();
      expect(listed.tools.find((tool) => tool.name === 'list_invoices')?.inputSchema).toMatchObject({ required: ['customer'] });
      const a = (await modern.callTool({ name: 'list_invoices', arguments: { customer: 'm-1' } })) as { structuredContent?: any };
      expect(a.structuredContent.url).toContain('customer=m-1');
      const b = (await legacy.client.callTool({ name: 'list_invoices', arguments: { customer: 'l-1' } })) as { structuredContent?: any };
      expect(b.structuredContent.url).toContain('customer=l-1');
      expect(JSON.stringify([a, b])).not.toContain(TOKEN);
    } finally {
      await modern.close();
      await legacy.client.close();
    }
  });

  it('a tool INSERTed with SQL (handler "http") goes live and works', async () => {
    const config = JSON.stringify({ url: `${upstream.url}/echo/sql/{id}`, headers: { 'x-api-key': '${secret:BILLING_TOKEN}' } });
    await t.db.database.query(
      `INSERT INTO tools (server_id, name, description, input_schema, handler, handler_config)
       VALUES ('utility', 'sql_lookup', 'Look up by id (added in SQL)', $1::jsonb, 'http', $2::jsonb)`,
      [JSON.stringify({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }), config],
    );
    const result = await within(5000, async () => {
      const { status, body } = await call('sql_lookup', { id: 'x 1' });
      return status === 200 ? body : undefined;
    });
    expect(result.structuredContent.url).toBe('/echo/sql/x%201');
    expect(upstream.seen.at(-1)!.headers['x-api-key']).toBe(TOKEN);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('no secret value ever reaches the log', () => {
    expect(logs.length).toBeGreaterThan(0);
    const all = logs.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('qk/with');
  });
});
