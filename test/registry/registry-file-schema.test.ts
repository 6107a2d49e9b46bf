// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RegistryStore } from '../../src/db/registry-store.ts';
import { handlers } from '../../src/handlers/index.ts';
import { Registry } from '../../src/registry/registry.ts';
import { parseRegistryFile } from '../../src/registry/registry-file.ts';
import { RegistryFiles } from '../../src/registry/registry-files.ts';
import { seed } from '../../src/registry/seed.ts';
import { ToolWrites } from '../../src/registry/tool-writes.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';

const schema = JSON.parse(readFileSync(new URL('../../schemas/registry-file.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

/** The published JSON Schema (for editors) and the parser agree: on the seed, on an export, and on what they refuse. */
describe('schemas/registry-file.schema.json', () => {
  let db: TestDatabase;
  let files: RegistryFiles;
  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    await seed(db.database, handlers);
    const store = new RegistryStore(db.database.db);
    const writes = new ToolWrites({ store, registry: new Registry(store, handlers, silentLogger), handlers, health: undefined });
    files = new RegistryFiles({ store, writes, handlers, strictToolNames: false });
  });
  afterAll(() => db?.dispose());

  it('accepts the seed file and an export of the seeded registry', async () => {
    const seedFile = parse(readFileSync(new URL('../../seeds/registry.yaml', import.meta.url), 'utf8'));
    expect(validate(seedFile), JSON.stringify(validate.errors)).toBe(true);
    const exported = parse(await files.export({ format: 'yaml' }));
    expect(validate(exported), JSON.stringify(validate.errors)).toBe(true);
    expect(exported.servers.flatMap((server: { tools: unknown[] }) => server.tools)).toHaveLength(7);
  });

  const refused: [string, unknown][] = [
    ['an unknown top-level field', { servers: [], tools: [] }],
    ['an unknown server field', { servers: [{ id: 'a', colour: 'red' }] }],
    ['a reserved server id', { servers: [{ id: 'registry' }] }],
    ['a port out of range', { servers: [{ id: 'a', port: 70000 }] }],
    ['a bad prefix', { servers: [{ id: 'a', prefix: 'has space' }] }],
    ['a bad rate limit', { servers: [{ id: 'a', rateLimit: 'lots' }] }],
    ['a tool without a name', { servers: [{ id: 'a', tools: [{ description: 'x' }] }] }],
    ['a tool name breaking the MCP rule', { servers: [{ id: 'a', tools: [{ name: 'has space' }] }] }],
    ['an unknown tool field', { servers: [{ id: 'a', tools: [{ name: 't', colour: 'red' }] }] }],
    [
      'parameters and inputSchema together',
      { servers: [{ id: 'a', tools: [{ name: 't', description: 'x', parameters: [], inputSchema: { type: 'object' } }] }] },
    ],
    ['a literal data source URL', { dataSources: [{ id: 'db', url: 'postgres://u:p@h/d' }] }],
    ['a data source without a URL', { dataSources: [{ id: 'db' }] }],
    ['an upstream without a server', { upstreams: [{ id: 'up', url: 'http://127.0.0.1:8765/mcp' }] }],
    ['an upstream with neither url nor command', { upstreams: [{ id: 'up', server: 'utility' }] }],
    ['an unknown upstream field', { upstreams: [{ id: 'up', server: 'utility', url: 'http://127.0.0.1:8765/mcp', retries: 3 }] }],
  ];
  it.each(refused)('refuses %s, as the parser does', (_what, document) => {
    expect(validate(document)).toBe(false);
    const text = JSON.stringify(document);
    let refusedByToolport = false;
    try {
      const { desired } = files.read(text, 'file.json');
      expect(desired).toBeUndefined();
    } catch (error) {
      refusedByToolport = (error as { code?: string }).code === 'bad_request' || (error as { code?: string }).code === 'conflict';
    }
    expect(refusedByToolport).toBe(true);
  });

  it('accepts what the parser accepts: defaults omitted, a gateway-only server, a data source by reference', () => {
    const document = {
      servers: [
        { id: 'ops', port: null, prefix: null, tools: [{ name: 'get_time' }, { name: 'clock', description: 'Clock', handler: 'get_time', rateLimit: '10/s' }] },
      ],
      dataSources: [{ id: 'warehouse', url: '${secret:WAREHOUSE_URL}', rowLimit: 10 }],
      upstreams: [
        { id: 'vendor', server: 'ops', url: 'https://mcp.example.com/mcp', headers: { authorization: 'Bearer ${secret:VENDOR_TOKEN}' }, priority: 1 },
        { id: 'local', server: 'ops', command: 'node', args: ['server.mjs'], exclude: ['debug_*'] },
      ],
    };
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(parseRegistryFile(JSON.stringify(document), 'file.json').document.servers[0]!.tools).toHaveLength(2);
    expect(files.read(JSON.stringify(document), 'file.json').desired.servers.get('ops')!.tools.size).toBe(2);
  });
});
