import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';
import { ADMIN_TOKEN, bearer, REQUIRED_ENV } from './access-support.ts';

type Document = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> }; servers: { url: string }[] };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

async function documentAt(url: string, headers: Record<string, string> = {}): Promise<Document> {
  const response = await fetch(`${url}/openapi.json`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  return (await response.json()) as Document;
}

/** The tool names the /tools/call body offers (its oneOf), or undefined for the plain body. */
function callable(document: Document): string[] | undefined {
  const schema = document.paths['/tools/call']!.post.requestBody.content['application/json'].schema;
  return schema.oneOf?.map((entry: { $ref: string }) => entry.$ref.replace('#/components/schemas/call.', ''));
}

/** Hono's `/tools/:name` → OpenAPI's `/tools/{name}`; `/*` (a path-suffixed metadata address) → its one parameter. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}').replace(/\/\*$/, '/{resource}');
}

/**
 * GET /openapi.json on every listener: an OpenAPI 3.1 document that
 * validates, lists exactly the routes the app serves, takes its request
 * bodies from the routes' valibot schemas, and offers in /tools/call the
 * tools the caller sees (a oneOf by name), live as tools change.
 */
describe.each(backends)('the OpenAPI document (%s)', (backend) => {
  const t = useToolport(backend, { ...REQUIRED_ENV, TOOLPORT_GATEWAY_PORT: '0' });
  const admin = bearer(ADMIN_TOKEN);

  it('validates as OpenAPI 3.1 on a server port, a gateway path and the gateway root', async () => {
    for (const url of [t.app.urls.finance!, `${t.app.gatewayUrl}/utility`, t.app.gatewayUrl!]) {
      const document = await documentAt(url, admin);
      expect(document).toMatchObject({ openapi: '3.1.0' });
      await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
    }
    expect((await documentAt(`${t.app.gatewayUrl}/finance`, admin)).servers).toEqual([{ url: '/finance', description: 'The gateway path of finance' }]);
    expect((await documentAt(t.app.urls.finance!, admin)).servers[0]!.url).toBe('/');
  });

  it('lists every route the app serves, and only those', async () => {
    const app = t.app.toolport.gateway!.root.app.app as { routes: { method: string; path: string }[] };
    const served = new Set<string>();
    for (const route of app.routes) {
      // Middleware (use) is method ALL; /mcp is mounted as ALL and answers POST, GET and DELETE. HEAD and OPTIONS mirror GET and answer preflights.
      if (route.path === '/mcp') for (const method of ['post', 'get', 'delete']) served.add(`${method} /mcp`);
      if (['ALL', 'HEAD', 'OPTIONS'].includes(route.method)) continue;
      served.add(`${route.method.toLowerCase()} ${openApiPath(route.path)}`);
    }
    const document = await documentAt(t.app.gatewayUrl!, admin);
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, item]) => METHODS.filter((method) => item[method]).map((method) => `${method} ${path}`)),
    );
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);
    expect(served.size).toBeGreaterThan(40);
  });

  it('documents the error envelope on every operation that can fail', async () => {
    const document = await documentAt(t.app.urls.finance!, admin);
    const envelope = document.components.schemas.ErrorBody.properties.error;
    expect(envelope.required).toEqual(['code', 'message', 'timestamp']);
    expect(Object.keys(envelope.properties)).toEqual(expect.arrayContaining(['code', 'message', 'details', 'server', 'requestId', 'timestamp']));
    const create = document.paths['/tools']!.post;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '413', '415']));
    expect(create.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/health']!.get.security).toEqual([]);
  });

  it("request bodies are the routes' own schemas: what the document refuses, the route refuses", async () => {
    const document = await documentAt(t.app.urls.finance!, admin);
    const ajv = new Ajv2020({ strict: false });
    const createSchema = document.paths['/tools']!.post.requestBody.content['application/json'].schema;
    const valid = ajv.compile(createSchema);
    const good = { name: 'openapi_probe', description: 'A probe', handler: 'get_time' };
    const typo = { ...good, descripton: 'typo' };
    expect(valid(good)).toBe(true);
    expect(valid(typo)).toBe(false);
    const refused = await fetch(`${t.app.urls.finance}/tools`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(typo),
    });
    expect(refused.status).toBe(400);
    expect(ajv.compile(document.paths['/servers/{id}']!.patch.requestBody.content['application/json'].schema)({ port: 70000 })).toBe(false);
    expect(document.paths['/registry/apply']!.post.requestBody.content).toHaveProperty('application/yaml');
    expect(document.paths['/audit']!.get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['server', 'tool', 'actor', 'since', 'limit', 'cursor']),
    );
  });

  it('/tools/call offers exactly the tools the caller can call, each with its argument schema', async () => {
    const document = await documentAt(t.app.urls.finance!, admin);
    expect(callable(document)).toEqual(['calculate_portfolio', 'get_financial_news', 'get_stock_price']);
    const stock = document.components.schemas['call.get_stock_price'];
    expect(stock.properties.name).toEqual({ type: 'string', const: 'get_stock_price' });
    const tool = (await (await fetch(`${t.app.urls.finance}/tools/get_stock_price`, { headers: admin })).json()) as { inputSchema: unknown };
    expect(stock.properties.arguments).toEqual(tool.inputSchema);
    const body = document.paths['/tools/call']!.post.requestBody.content['application/json'].schema;
    expect(body.discriminator.mapping.get_stock_price).toBe('#/components/schemas/call.get_stock_price');
    expect(callable(await documentAt(t.app.urls.utility!, admin))).toEqual(expect.arrayContaining(['get_time', 'text_analyzer']));
    expect(callable(await documentAt(t.app.urls.utility!, admin))).not.toContain('get_stock_price');
  });

  it("follows the registry live, and rewrites a tool schema's own $refs to where it sits in the document", async () => {
    const created = await fetch(`${t.app.urls.finance}/tools`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'openapi_refs',
        description: 'A tool whose schema refers to its own $defs',
        handler: 'get_time',
        inputSchema: { type: 'object', $defs: { word: { type: 'string' } }, properties: { first: { $ref: '#/$defs/word' } } },
      }),
    });
    expect(created.status).toBe(201);
    const document = await documentAt(t.app.urls.finance!, admin);
    expect(callable(document)).toContain('openapi_refs');
    expect(document.components.schemas['call.openapi_refs'].properties.arguments.properties.first.$ref).toBe(
      '#/components/schemas/call.openapi_refs/properties/arguments/$defs/word',
    );
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
    expect((await fetch(`${t.app.urls.finance}/tools/openapi_refs`, { method: 'DELETE', headers: admin })).status).toBe(200);
    expect(callable(await documentAt(t.app.urls.finance!, admin))).not.toContain('openapi_refs');
  });

  it('security: a scoped key sees its tools only; no credential gets the plain body; a wrong or revoked credential is a 401', async () => {
    const keys = t.app.toolport.access.keys;
    const scoped = await keys.create('admin-token', { name: 'openapi-globbed', scopes: ['finance:call:get_*'] });
    expect(callable(await documentAt(t.app.urls.finance!, bearer(scoped.key)))).toEqual(['get_financial_news', 'get_stock_price']);
    const other = await keys.create('admin-token', { name: 'openapi-utility', scopes: ['utility:call'] });
    expect(callable(await documentAt(t.app.urls.finance!, bearer(other.key)))).toBeUndefined();

    const anonymous = await documentAt(t.app.urls.finance!);
    expect(callable(anonymous)).toBeUndefined();
    expect(Object.keys(anonymous.components.schemas).filter((name) => name.startsWith('call.'))).toEqual([]);
    expect(JSON.stringify(anonymous)).not.toContain('calculate_portfolio');

    const wrong = await fetch(`${t.app.urls.finance}/openapi.json`, { headers: bearer('tp_wrong_0123456789') });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    await keys.revoke('admin-token', scoped.id);
    expect((await fetch(`${t.app.urls.finance}/openapi.json`, { headers: bearer(scoped.key) })).status).toBe(401);
    // A foreign page cannot read it through a rebound Host or cross-origin.
    const foreign = await fetch(`${t.app.urls.finance}/openapi.json`, { headers: { ...admin, origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
  });

  it('/docs is a page that loads only its own script, under a nonce CSP; the script comes from the npm package, cached and gzipped', async () => {
    for (const [base, prefix] of [
      [t.app.urls.finance!, ''],
      [`${t.app.gatewayUrl}/finance`, '/finance'],
    ] as const) {
      const page = await fetch(`${base}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      const html = await page.text();
      const csp = page.headers.get('content-security-policy')!;
      const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
      expect(html).toContain(`nonce="${nonce}"`);
      expect(csp).toContain("connect-src 'self'");
      expect(html).toContain(`src="${prefix}/docs/scalar.js"`);
      expect(html).toContain(`${prefix}/openapi.json`);
      expect(html).not.toMatch(/cdn\.jsdelivr|unpkg\.com/);
    }
    const script = await fetch(`${t.app.urls.finance}/docs/scalar.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(script.status).toBe(200);
    expect(script.headers.get('content-encoding')).toBe('gzip');
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain('@scalar/api-reference');
    const again = await fetch(`${t.app.urls.finance}/docs/scalar.js`, { headers: { 'if-none-match': script.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const index = (await (await fetch(`${t.app.urls.finance}/`)).json()) as { links: Record<string, string> };
    expect(index.links).toMatchObject({ docs: '/docs', openapi: '/openapi.json' });
  });
});
