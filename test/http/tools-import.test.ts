// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';
import { RegistryStore } from '../../src/db/registry-store.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { runCli } from '../support/process.ts';
import { json, type RunningToolport, startTestToolport } from '../support/toolport.ts';

/**
 * POST /tools/import/openapi on a new server's own port: admin only, Origin
 * checked, a bad document refused with nothing written; the imported
 * Petstore listed by GET /tools and called against a local server speaking
 * the Petstore API. And `toolport import-openapi` as a real process.
 */

const require = createRequire(import.meta.url);
const PETSTORE_FILE = require.resolve('@readme/oas-examples/3.0/json/petstore.json');
const petstore = () => structuredClone(require(PETSTORE_FILE)) as any;
const TOKEN = 'import-test-admin-token-0123456789';

/** A small Petstore: GET /v2/pet/{petId} answers JSON, and remembers the headers it got. */
async function startPetstore(): Promise<{ url: string; server: Server; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    const match = /^\/v2\/pet\/(\d+)$/.exec(request.url ?? '');
    if (request.method === 'GET' && match) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: Number(match[1]), name: 'doggie', photoUrls: [], status: 'available' }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 1, type: 'error', message: 'Pet not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v2`, server, seen };
}

describe.each(backends)('POST /tools/import/openapi (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let upstream: Awaited<ReturnType<typeof startPetstore>>;
  let base: string;
  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${base}/tools/import/openapi`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const count = async () => Number((await db.database.query(`select count(*)::int as n from tools where server_id = 'petstore'`)).rows[0]!.n);

  beforeAll(async () => {
    upstream = await startPetstore();
    db = await openTestDatabase(backend);
    await new RegistryStore(db.database.db).insertServerIfMissing({ id: 'petstore', name: 'Petstore', description: 'imported from OpenAPI', port: null });
    app = await startTestToolport(db, {
      TOOLPORT_SERVERS: 'petstore:0',
      TOOLPORT_ADMIN_TOKEN: TOKEN,
      TOOLPORT_HTTP_ALLOW: '127.0.0.1',
      TOOLPORT_SECRET_PETSTORE_KEY: 'special-key-123',
    });
    base = app.urls.petstore!;
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
    upstream?.server.close();
  });

  it('refuses a caller without the admin token (401) and a foreign Origin (403); nothing is written', async () => {
    expect((await post({ document: petstore() }, {})).status).toBe(401);
    const foreign = await post({ document: petstore() }, { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await count()).toBe(0);
  });

  it('refuses a bad document with a 400 naming the problem, and writes no tool', async () => {
    const broken = petstore();
    delete broken.info;
    const response = await post({ document: broken });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.message).toMatch(/^Invalid OpenAPI document: [\s\S]*required property 'info'/);
    expect(body.error.details[0].path).toBe('/document');

    const notOpenApi = await json(await post({ document: { hello: 'world' } }));
    expect(notOpenApi.error.message).toMatch(/no "openapi" \(3.x\) or "swagger" \(2.0\) version field/);
    const byUrl = await json(await post({ url: 'http://169.254.169.254/latest/openapi.json' }));
    expect(byUrl.error.details).toEqual([{ path: '/url', message: 'not supported over REST: send /document' }]);
    const typo = await json(await post({ document: petstore(), dryrun: true }));
    expect(typo.error.message).toMatch(/dryrun/);
    expect(await count()).toBe(0);
  });

  it('imports Petstore 3.0; GET /tools lists the tools with their names, schemas and configs; secrets stay references', async () => {
    const dry = await json(await post({ document: petstore(), baseUrl: upstream.url, secrets: { api_key: 'PETSTORE_KEY' }, dryRun: true }));
    expect(dry.created).toHaveLength(18);
    expect(await count()).toBe(0);

    const response = await post({ document: petstore(), baseUrl: upstream.url, secrets: { api_key: 'PETSTORE_KEY' } });
    expect(response.status).toBe(200);
    const report = await json(response);
    expect(report).toMatchObject({ server: 'petstore', dryRun: false, operations: { total: 20, selected: 20 } });
    expect(report.created).toHaveLength(18);

    const listed = await json(await fetch(`${base}/tools?limit=100`));
    const byName = new Map(listed.tools.map((tool: any) => [tool.name, tool]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['getPetById', 'addPet', 'findPetsByStatus', 'deletePet', 'loginUser']));
    const get: any = await json(await fetch(`${base}/tools/getPetById`));
    expect(get).toMatchObject({ handler: 'http', available: true, title: 'Find pet by ID' });
    expect(get.inputSchema).toEqual({
      type: 'object',
      properties: { petId: { type: 'integer', format: 'int64', description: 'ID of pet to return' } },
      required: ['petId'],
      additionalProperties: false,
    });
    expect(get.config).toMatchObject({
      method: 'GET',
      url: `${upstream.url}/pet/{petId}`,
      headers: { api_key: '${secret:PETSTORE_KEY}' },
      origin: { openapi: 'Swagger Petstore', operation: 'GET /pet/{petId}' },
    });
    expect(JSON.stringify(listed)).not.toContain('special-key-123');

    const again = await json(await post({ document: petstore(), baseUrl: upstream.url, secrets: { api_key: 'PETSTORE_KEY' } }));
    expect({ created: again.created.length, changed: again.changed.length, unchanged: again.unchanged.length }).toEqual({
      created: 0,
      changed: 0,
      unchanged: 18,
    });
  });

  it('--prune over REST: a tool whose operation left the document is deleted and gone from GET /tools at once', async () => {
    const smaller = petstore();
    delete smaller.paths['/user/logout'];
    const kept = await json(await post({ document: smaller, baseUrl: upstream.url, secrets: { api_key: 'PETSTORE_KEY' } }));
    expect(kept.removedUpstream).toEqual([{ name: 'logoutUser', operation: 'GET /user/logout', deleted: false }]);
    expect((await fetch(`${base}/tools/logoutUser`)).status).toBe(200);
    const pruned = await json(await post({ document: smaller, baseUrl: upstream.url, secrets: { api_key: 'PETSTORE_KEY' }, prune: true }));
    expect(pruned.removedUpstream).toEqual([{ name: 'logoutUser', operation: 'GET /user/logout', deleted: true }]);
    expect((await fetch(`${base}/tools/logoutUser`)).status).toBe(404);
    expect(await count()).toBe(17);
  });

  it('calls an imported tool over REST against a local server speaking the Petstore API', async () => {
    const response = await fetch(`${base}/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'getPetById', arguments: { petId: 7 } }),
    });
    expect(response.status).toBe(200);
    const result = await json(response);
    expect(result.structuredContent).toEqual({ id: 7, name: 'doggie', photoUrls: [], status: 'available' });
    expect(upstream.seen.at(-1)!.api_key).toBe('special-key-123'); // the secret resolved at call time
    expect(JSON.stringify(result)).not.toContain('special-key-123');

    const missing = await json(
      await fetch(`${base}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'getPetById', arguments: { petId: 'seven' } }),
      }),
    );
    expect(missing.error.message).toMatch(/petId/);
  });
});

describe('toolport import-openapi (a real process, embedded database in a temp data dir)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'toolport-import-'));
    const database = await openDatabase({ databaseUrl: undefined, dataDir });
    try {
      await migrate(database);
      await new RegistryStore(database.db).insertServerIfMissing({ id: 'pets', name: 'Pets', description: '', port: null });
    } finally {
      await database.close();
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('imports a file into the server, prints the report, and is idempotent', async () => {
    const env = { TOOLPORT_DATA_DIR: dataDir, TOOLPORT_LOG_LEVEL: 'silent' };
    const args = ['import-openapi', PETSTORE_FILE, '--server', 'pets', '--include', '*Pet*', '--exclude', 'DELETE /**', '--secret', 'api_key=PETSTORE_KEY'];
    const first = runCli(args, env);
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toMatch(/^OpenAPI 3\.0\.0 "Swagger Petstore" 1\.0\.0 → server "pets"\n/);
    expect(first.output()).toMatch(/20 in the document, 6 selected; created 6, changed 0, unchanged 0, removed upstream 0, skipped 0/);
    expect(first.output()).toMatch(/created \(6\):\n {2}updatePet +PUT \/pet\n {2}addPet +POST \/pet\n/);
    expect(first.output()).toMatch(/warnings \(\d+\):\n.*"petstore_auth" not mapped/);
    const again = runCli([...args, '--json'], env);
    expect(await again.exited, again.output()).toBe(0);
    const report = JSON.parse(again.output());
    expect(report.unchanged.map((t: any) => t.name).sort()).toEqual(
      ['addPet', 'findPetsByStatus', 'findPetsByTags', 'getPetById', 'updatePet', 'updatePetWithForm'].sort(),
    );
    const bad = runCli(['import-openapi', PETSTORE_FILE, '--server', 'nope'], env);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/No server "nope" in the servers table \(known: pets\)/);
  }, 120_000);
});
