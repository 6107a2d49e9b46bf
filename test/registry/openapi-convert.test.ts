// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { checkHttpTool } from '../../src/handlers/kinds/http/check.ts';
import { httpConfigSchema } from '../../src/handlers/kinds/http/config.ts';
import { assertUsableInputSchema, parseCreateBody } from '../../src/registry/definition.ts';
import { type Conversion, convertOperation } from '../../src/registry/openapi/convert.ts';
import { loadDocument } from '../../src/registry/openapi/load.ts';
import { listOperations, operationFilter, toolNameOf } from '../../src/registry/openapi/operations.ts';
import { toJsonSchema } from '../../src/registry/openapi/schema.ts';
import { checkSecrets, securitySchemes } from '../../src/registry/openapi/security.ts';
import { baseUrlFor } from '../../src/registry/openapi/servers.ts';

/** The conversion of real documents (@readme/oas-examples), every result checked by the real write checks and the http kind's own rules. */

const require = createRequire(import.meta.url);
const example = (path: string) => require(`@readme/oas-examples/${path}`) as Record<string, unknown>;

const configSchema = httpConfigSchema(30_000);

/** What POST /tools checks: the body's rules, the input schema (strict 2020-12, limits), the http config and how it places the arguments. */
function checkTool(body: unknown): void {
  const parsed = parseCreateBody(body);
  assertUsableInputSchema(parsed.inputSchema!);
  const config = v.parse(configSchema, parsed.config);
  expect(checkHttpTool(config, parsed.inputSchema!), parsed.name).toEqual([]);
}

async function convert(path: string, secrets: Record<string, string> = {}, baseUrl?: string) {
  const doc = await loadDocument({ document: example(path) });
  const schemes = securitySchemes(doc.api);
  checkSecrets(secrets, schemes);
  const { operations, collisions } = listOperations(doc.api);
  const conversions = operations.map((operation) => convertOperation(doc, operation, { baseUrl, secrets, schemes }));
  const tools = new Map<string, Extract<Conversion, { body: unknown }>>();
  const skipped = new Map<string, string>();
  for (const conversion of conversions) {
    if ('skipped' in conversion) skipped.set(conversion.operation.name, conversion.skipped);
    else {
      checkTool(conversion.body);
      tools.set(conversion.body.name, conversion);
    }
  }
  return { doc, tools, skipped, collisions };
}

describe('OpenAPI → http tool definitions', () => {
  it('Petstore 3.0: one checked tool per JSON operation, named by operationId, arguments placed by `in`', async () => {
    const { doc, tools, skipped } = await convert('3.0/json/petstore.json');
    expect(doc.title).toBe('Swagger Petstore');
    expect([...tools.keys()].sort()).toEqual(
      [
        'addPet',
        'deleteOrder',
        'deletePet',
        'deleteUser',
        'findPetsByStatus',
        'findPetsByTags',
        'getInventory',
        'getOrderById',
        'getPetById',
        'getUserByName',
        'loginUser',
        'logoutUser',
        'placeOrder',
        'createUser',
        'updatePet',
        'updateUser',
        'updatePetWithForm',
        'uploadFile',
      ].sort(),
    );
    // An array body cannot be "the JSON object of the remaining arguments"; an optional multipart body is left out, with a warning.
    expect(skipped.get('createUsersWithArrayInput')).toMatch(/not an object/);
    expect(tools.get('uploadFile')!.warnings.join()).toMatch(/multipart\/form-data, and the http kind sends JSON/);

    const get = tools.get('getPetById')!.body;
    expect(get.config).toEqual({
      method: 'GET',
      url: 'http://petstore.swagger.io/v2/pet/{petId}',
      body: 'none',
      origin: { openapi: 'Swagger Petstore', operation: 'GET /pet/{petId}' },
    });
    expect(get.inputSchema).toEqual({
      type: 'object',
      properties: { petId: { type: 'integer', format: 'int64', description: 'ID of pet to return' } },
      required: ['petId'],
      additionalProperties: false,
    });
    expect(get.title).toBe('Find pet by ID');
    expect(get.annotations).toMatchObject({ readOnlyHint: true, openWorldHint: true });

    const add = tools.get('addPet')!.body;
    expect(add.config).toMatchObject({ method: 'POST', url: 'http://petstore.swagger.io/v2/pet', body: 'arguments' });
    const props = (add.inputSchema as any).properties;
    expect(Object.keys(props).sort()).toEqual(['category', 'id', 'name', 'photoUrls', 'status', 'tags']);
    expect((add.inputSchema as any).required).toEqual(['name', 'photoUrls']); // id is readOnly: not required of the caller
    expect(props.photoUrls).toEqual({ type: 'array', items: { type: 'string', examples: ['https://example.com/photo.png'] } }); // xml dropped
    expect(props.name.examples).toEqual(['doggie']);
    expect(JSON.stringify(add.inputSchema)).not.toMatch(/"xml"|"example"/);

    expect(tools.get('findPetsByStatus')!.body.config).toMatchObject({ query: ['status'], body: 'none' });
    expect(tools.get('deletePet')!.body.config).toMatchObject({ method: 'DELETE', headerArgs: { api_key: 'api_key' }, body: 'none' });
    expect(tools.get('loginUser')!.body.config).toMatchObject({ query: ['username', 'password'] });
    // An optional form body is not sent, and the tool says so.
    expect(tools.get('updatePetWithForm')!.warnings.join()).toMatch(/optional request body is not sent/);
  });

  it('Swagger 2.0 Petstore: base URL from schemes + host + basePath, body parameter merged, optional formData left out', async () => {
    const { tools, skipped } = await convert('2.0/json/petstore.json');
    expect(tools.get('getPetById')!.body.config).toMatchObject({ url: 'http://petstore.swagger.io/v2/pet/{petId}', method: 'GET' });
    expect((tools.get('getPetById')!.body.inputSchema as any).properties.petId).toMatchObject({ type: 'integer', format: 'int64' });
    const add = tools.get('addPet')!.body;
    expect(Object.keys((add.inputSchema as any).properties)).toEqual(expect.arrayContaining(['name', 'photoUrls']));
    expect(add.config).toMatchObject({ body: 'arguments' });
    expect(tools.get('uploadFile')!.warnings.join()).toMatch(/optional request body is not sent/);
    expect(skipped.get('createUsersWithArrayInput')).toMatch(/not an object/);
    expect(tools.get('findPetsByStatus')!.body.inputSchema).toMatchObject({ properties: { status: { type: 'array' } } });
  });

  it('OpenAPI 3.1 Petstores convert and pass the checks', async () => {
    const full = await convert('3.1/json/petstore.json');
    expect(full.tools.size).toBe(18);
    expect(full.tools.get('getPetById')!.body.config).toMatchObject({ url: 'http://petstore.swagger.io/v2/pet/{petId}' });
    const simple = await convert('3.1/json/petstore-simple.json');
    expect([...simple.tools.keys()]).toEqual(['GET_pet_id', 'PUT_pet_id']); // no operationIds: METHOD_path
  });

  it('security schemes become secret references; unmapped ones leave the tool without credentials and a warning', async () => {
    const secrets = { apiKey_query: 'Q_KEY', apiKey_header: 'H_KEY', apiKey_cookie: 'C_KEY', basic: 'BASIC', bearer: 'TOKEN', oauth2: 'OAUTH' };
    const { tools } = await convert('3.0/json/security.json', secrets);
    const byOperation = new Map([...tools.values()].map((t) => [t.operation.key, t]));
    expect(byOperation.get('GET /anything/apiKey')!.body.config).toMatchObject({ staticQuery: { apiKey: '${secret:Q_KEY}' } });
    expect(byOperation.get('PUT /anything/apiKey')!.body.config).toMatchObject({ headers: { 'x-api-key': '${secret:H_KEY}' } });
    expect(byOperation.get('POST /anything/apiKey')!.body.config).toMatchObject({ headers: { cookie: 'api_key=${secret:C_KEY}' } });
    expect(byOperation.get('POST /anything/basic')!.body.config).toMatchObject({ headers: { authorization: 'Basic ${secret:BASIC}' } });
    expect(byOperation.get('POST /anything/bearer')!.body.config).toMatchObject({ headers: { authorization: 'Bearer ${secret:TOKEN}' } });
    expect(byOperation.get('POST /anything/oauth2')!.body.config).toMatchObject({ headers: { authorization: 'Bearer ${secret:OAUTH}' } });
    const unmapped = byOperation.get('PUT /anything/bearer')!;
    expect((unmapped.body.config as any).headers).toBeUndefined();
    expect(unmapped.warnings.join()).toMatch(/"bearer_jwt" not mapped.*--secret bearer_jwt=<SECRET_NAME>/);
    // Optional auth ({} among the alternatives): no warning without a secret.
    expect(byOperation.get('GET /anything/optional-auth')!.warnings).toEqual([]);
    expect(() => checkSecrets({ bearerAuth: 'X' }, securitySchemes(example('3.0/json/security.json')))).toThrow(
      /no security scheme "bearerAuth".*apiKey_cookie/,
    );
    expect(() => checkSecrets({ bearer: 'not-a-name' }, securitySchemes(example('3.0/json/security.json')))).toThrow(/not a secret name/);
  });

  it('names: operationIds made valid (≤ 64 of A-Z a-z 0-9 _ -), METHOD_path without one, collisions suffixed and reported', async () => {
    expect(toolNameOf('repos/get-content')).toBe('repos_get-content');
    expect(toolNameOf('GET_/pet/{petId}')).toBe('GET_pet_petId');
    const long = toolNameOf('x'.repeat(100));
    expect(long).toMatch(/^x{55}_[0-9a-f]{8}$/);
    expect(toolNameOf('y'.repeat(99))).not.toBe(toolNameOf('y'.repeat(100)));
    const api = {
      paths: {
        '/a': { get: { operationId: 'list.items' }, post: {} },
        '/b': { get: { operationId: 'list items' } },
        '/c/{id}': { delete: {} },
      },
    };
    const { operations, collisions } = listOperations(api);
    expect(operations.map((o) => o.name)).toEqual(['list_items', 'POST_a', 'list_items_2', 'DELETE_c_id']);
    expect(collisions).toEqual([{ name: 'list_items', operations: ['GET /a', 'GET /b → list_items_2'] }]);
    const only = operationFilter(['list*'], ['GET /b']);
    expect(operations.filter(only).map((o) => o.key)).toEqual(['GET /a']);
    expect(operations.filter(operationFilter(['DELETE /**'], [])).map((o) => o.name)).toEqual(['DELETE_c_id']);
  });

  it('schemas: 3.0 nullable → union, example → examples, non-JSON-Schema keywords dropped, cycles cut, unusable patterns dropped', () => {
    const notes = new Set<string>();
    const node: Record<string, unknown> = { type: 'object', properties: { name: { type: 'string' } } };
    (node.properties as any).child = node; // a dereferenced recursive schema
    const schema = toJsonSchema(
      {
        type: 'object',
        discriminator: { propertyName: 'kind' },
        externalDocs: { url: 'https://example.com' },
        'x-internal': true,
        properties: {
          note: { type: 'string', nullable: true, example: 'hi' },
          level: { type: 'integer', minimum: 1, exclusiveMinimum: true, format: 'uint8' },
          code: { type: 'string', pattern: '^(?=a)a$' },
          tree: node,
          kind: { enum: ['a', 'b'], nullable: true },
        },
      },
      { notes },
    ) as any;
    expect(schema.discriminator).toBeUndefined();
    expect(schema.externalDocs).toBeUndefined();
    expect(schema['x-internal']).toBeUndefined();
    expect(schema.properties.note).toEqual({ type: ['string', 'null'], examples: ['hi'] });
    expect(schema.properties.level).toEqual({ type: 'integer', exclusiveMinimum: 1 });
    expect(schema.properties.code).toEqual({ type: 'string' });
    expect(schema.properties.tree.properties.child).toEqual({});
    expect(schema.properties.kind).toEqual({ enum: ['a', 'b', null] });
    expect([...notes].join()).toMatch(/format "uint8"/);
    expect([...notes].join()).toMatch(/pattern/);
  });

  it('documents with recursive schemas and discriminators convert into schemas the strict checker accepts', async () => {
    for (const path of ['3.0/json/schema-circular.json', '3.0/json/discriminators.json', '3.0/json/schema-types.json', '3.1/json/schema-types.json']) {
      const { tools } = await convert(path, {}, 'https://api.example.com');
      expect(tools.size, path).toBeGreaterThan(0);
    }
  });

  it('base URLs: server variables filled with their defaults; a relative server URL resolved against the URL the document came from', async () => {
    const api = { servers: [{ url: 'https://{region}.api.example.com/{version}/', variables: { region: { default: 'eu' }, version: { default: 'v2' } } }] };
    expect(baseUrlFor(api, '3.0', {}, {}, undefined, undefined)).toBe('https://eu.api.example.com/v2');
    expect(baseUrlFor({ servers: [{ url: '/api/v3' }] }, '3.0', {}, {}, undefined, 'https://petstore3.example/api/v3/openapi.json')).toBe(
      'https://petstore3.example/api/v3',
    );
    expect(() => baseUrlFor({ servers: [{ url: '/api/v3' }] }, '3.0', {}, {}, undefined, '/tmp/openapi.json')).toThrow(
      /"\/api\/v3" is relative and the document was not read from a URL; pass one \(--base-url/,
    );
    expect(baseUrlFor({ servers: [{ url: '/api/v3' }] }, '3.0', {}, {}, 'http://127.0.0.1:8080/v3/', undefined)).toBe('http://127.0.0.1:8080/v3');

    // The CLI's path: a document read from a URL (here a local server), its relative server resolved against that URL.
    const document = { ...example('3.0/json/petstore.json'), servers: [{ url: '/api/v3' }] };
    const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/specs/openapi.json`;
      await expect(loadDocument({ location: url })).rejects.toThrow(/read only when TOOLPORT_HTTP_ALLOW lists its host/);
      const doc = await loadDocument({ location: url, internalUrls: true });
      const get = listOperations(doc.api).operations.find((operation) => operation.name === 'getPetById')!;
      const conversion = convertOperation(doc, get, { baseUrl: undefined, secrets: {}, schemes: {} });
      expect('body' in conversion && conversion.body.config).toMatchObject({ url: url.replace('/specs/openapi.json', '/api/v3/pet/{petId}') });
    } finally {
      server.close();
    }
  });

  it('argument names: query and body names kept, a clashing path or header parameter renamed, its placeholder or header still right', async () => {
    const doc = await loadDocument({
      document: {
        openapi: '3.0.3',
        info: { title: 'Clashes', version: '1' },
        servers: [{ url: 'https://api.example.com/v1' }],
        paths: {
          '/items/{id}': {
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            put: {
              operationId: 'putItem',
              parameters: [
                { name: 'id', in: 'header', schema: { type: 'string' } },
                { name: 'id', in: 'query', schema: { type: 'integer' } },
                { name: 'session', in: 'cookie', schema: { type: 'string' } },
              ],
              requestBody: {
                required: true,
                content: { 'application/json': { schema: { type: 'object', required: ['label'], properties: { label: { type: 'string' } } } } },
              },
              responses: { 200: { description: 'ok' } },
            },
          },
        },
      },
    });
    const [operation] = listOperations(doc.api).operations;
    const conversion = convertOperation(doc, operation!, { baseUrl: undefined, secrets: {}, schemes: {} });
    if (!('body' in conversion)) throw new Error(conversion.skipped);
    checkTool(conversion.body);
    expect(conversion.body.config).toMatchObject({
      method: 'PUT',
      url: 'https://api.example.com/v1/items/{path_id}',
      query: ['id'],
      headerArgs: { header_id: 'id' },
      body: 'arguments',
    });
    expect(conversion.body.inputSchema).toMatchObject({ required: ['label', 'path_id'], additionalProperties: true });
    expect(Object.keys((conversion.body.inputSchema as any).properties).sort()).toEqual(['header_id', 'id', 'label', 'path_id']);
    expect(conversion.warnings).toEqual(['cookie parameter "session" is not sent']);
  });

  it('a document that is not OpenAPI, or has no base URL, is refused naming the problem', async () => {
    await expect(loadDocument({ document: { hello: 'world' } })).rejects.toThrow(/no "openapi" \(3.x\) or "swagger"/);
    await expect(loadDocument({ document: { openapi: '3.0.0', info: { title: 'x' } } })).rejects.toThrow(/Invalid OpenAPI document/);
    const doc = await loadDocument({
      document: { openapi: '3.0.0', info: { title: 'x', version: '1' }, paths: { '/a': { get: { responses: { 200: { description: 'ok' } } } } } },
    });
    const [operation] = listOperations(doc.api).operations;
    const conversion = convertOperation(doc, operation!, { baseUrl: undefined, secrets: {}, schemes: {} });
    expect('skipped' in conversion && conversion.skipped).toMatch(/No base URL: the document has no "servers"/);
  });
});
