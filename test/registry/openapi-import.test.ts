// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryStore } from '../../src/db/registry-store.ts';
import type { Handler } from '../../src/handlers/define.ts';
import { handlers as builtIns } from '../../src/handlers/index.ts';
import { withHandlerKinds } from '../../src/main/runtime.ts';
import { type ImportRequest, importOpenApi } from '../../src/registry/openapi/import.ts';
import { Registry } from '../../src/registry/registry.ts';
import { ToolWrites } from '../../src/registry/tool-writes.ts';
import { loadConfig } from '../../src/shared/config.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';

/** Imports into a real database through the write service: the plan (created / changed / unchanged / removed upstream), prune, dry run, filters, secrets. */

const require = createRequire(import.meta.url);
const petstore = () => structuredClone(require('@readme/oas-examples/3.0/json/petstore.json')) as any;
const GITHUB = require.resolve('@octokit/openapi/generated/api.github.com.json');

describe.each(backends)('OpenAPI import into the registry (%s)', (backend) => {
  let db: TestDatabase;
  let store: RegistryStore;
  let writes: ToolWrites;
  let close: () => Promise<void>;
  const names = async (server: string) => (await store.listTools(server)).map((row) => row.name);
  const run = (server: string, request: Partial<ImportRequest>) =>
    importOpenApi(writes, { source: { document: petstore() }, serverId: server, actor: 'import:openapi', ...request });

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    store = new RegistryStore(db.database.db);
    const kinds = withHandlerKinds(loadConfig({}), builtIns, silentLogger);
    close = () => kinds.close();
    const handlers: ReadonlyMap<string, Handler> = kinds.handlers;
    writes = new ToolWrites({ store, registry: new Registry(store, handlers, silentLogger), handlers, health: undefined });
    for (const id of ['pets', 'dry', 'filtered', 'secured', 'taken', 'github']) {
      await store.insertServerIfMissing({ id, name: id, description: 'OpenAPI import test', port: null });
    }
  });
  afterAll(async () => {
    await close?.();
    await db?.dispose();
  });

  it('imports Petstore 3.0; re-importing reports everything unchanged and writes nothing', async () => {
    const first = await run('pets', {});
    expect(first.created).toHaveLength(18);
    expect(first.skipped.map((s) => s.name).sort()).toEqual(['createUsersWithArrayInput', 'createUsersWithListInput']);
    expect(first.document).toMatchObject({ title: 'Swagger Petstore', specification: 'OpenAPI 3.0.0' });
    const rows = await store.listTools('pets');
    expect(rows).toHaveLength(18);
    const get = rows.find((row) => row.name === 'getPetById')!;
    expect(get.handler).toBe('http');
    expect(get.handlerConfig).toMatchObject({ method: 'GET', url: 'http://petstore.swagger.io/v2/pet/{petId}', origin: { operation: 'GET /pet/{petId}' } });
    const actors = await db.database.query(`select distinct actor from registry_changes where server_id = 'pets' and table_name = 'tools'`);
    expect(actors.rows).toEqual([{ actor: 'import:openapi' }]);

    const versions = rows.map((row) => row.version);
    const again = await run('pets', {});
    expect({ created: again.created.length, changed: again.changed.length, unchanged: again.unchanged.length }).toEqual({
      created: 0,
      changed: 0,
      unchanged: 18,
    });
    expect(again.removedUpstream).toEqual([]);
    expect((await store.listTools('pets')).map((row) => row.version)).toEqual(versions);
  });

  it('a changed document reports changed and removed-upstream; only --prune deletes; settings the import does not own survive', async () => {
    await writes.patch({
      actor: 'test',
      serverId: 'pets',
      name: 'getOrderById',
      patch: { config: { ...((await store.getTool('pets', 'getOrderById'))!.handlerConfig as object), timeoutMs: 2500 } },
    });
    await writes.setEnabled({ actor: 'test', serverId: 'pets', name: 'getInventory', enabled: false });
    const changed = petstore();
    changed.paths['/pet/{petId}'].get.summary = 'Find one pet by its ID';
    delete changed.paths['/pet/{petId}'].delete;
    delete changed.paths['/user/logout'];

    const report = await run('pets', { source: { document: changed } });
    expect(report.changed).toEqual([{ name: 'getPetById', operation: 'GET /pet/{petId}', fields: ['title', 'description'] }]);
    expect(report.removedUpstream.map((r) => [r.name, r.deleted])).toEqual([
      ['deletePet', false],
      ['logoutUser', false],
    ]);
    expect(report.unchanged).toHaveLength(15);
    expect(await names('pets')).toContain('deletePet');
    expect((await store.getTool('pets', 'getPetById'))!.title).toBe('Find one pet by its ID');
    expect((await store.getTool('pets', 'getOrderById'))!.handlerConfig).toMatchObject({ timeoutMs: 2500 });
    expect((await store.getTool('pets', 'getInventory'))!.enabled).toBe(false);

    const pruned = await run('pets', { source: { document: changed }, prune: true });
    expect(pruned.removedUpstream.map((r) => [r.name, r.deleted])).toEqual([
      ['deletePet', true],
      ['logoutUser', true],
    ]);
    expect(pruned.changed).toEqual([]);
    expect(await names('pets')).not.toContain('deletePet');
    expect(await names('pets')).toHaveLength(16);
  });

  it('--dry-run reports the plan and writes nothing', async () => {
    const report = await run('dry', { dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.created).toHaveLength(18);
    expect(await names('dry')).toEqual([]);
  });

  it('include/exclude globs select on the operationId or "METHOD /path"', async () => {
    const report = await run('filtered', { include: ['*Pet*', 'GET /store/**'], exclude: ['DELETE /**', 'updatePetWithForm'] });
    expect(report.operations).toEqual({ total: 20, selected: 7 });
    expect((await names('filtered')).sort()).toEqual(
      ['addPet', 'getInventory', 'getOrderById', 'getPetById', 'updatePet', 'findPetsByStatus', 'findPetsByTags'].sort(),
    );
    // Operations filtered out are not "removed upstream": they are still in the document.
    expect((await run('filtered', { include: ['getPetById'] })).removedUpstream).toEqual([]);
  });

  it('security schemes map to secret references the user names; unmapped ones are warned about', async () => {
    const report = await run('secured', { secrets: { api_key: 'PETSTORE_KEY' }, include: ['getPetById', 'addPet'] });
    expect((await store.getTool('secured', 'getPetById'))!.handlerConfig).toMatchObject({ headers: { api_key: '${secret:PETSTORE_KEY}' } });
    expect((await store.getTool('secured', 'addPet'))!.handlerConfig).not.toHaveProperty('headers');
    expect(report.warnings).toEqual([expect.stringMatching(/^addPet \(POST \/pet\): made without credentials: "petstore_auth" not mapped/)]);
    await expect(run('secured', { secrets: { bearerAuth: 'X' } })).rejects.toThrow(/no security scheme "bearerAuth" \(its schemes: petstore_auth, api_key\)/);
  });

  it('a tool of the same name that did not come from this document is left alone and reported', async () => {
    await writes.create({ actor: 'test', serverId: 'taken', body: { name: 'getPetById', description: 'mine', handler: 'get_time' } });
    const report = await run('taken', { include: ['getPetById', 'addPet'] });
    expect(report.created.map((c) => c.name)).toEqual(['addPet']);
    expect(report.skipped).toEqual([
      { name: 'getPetById', operation: 'GET /pet/{petId}', reason: expect.stringMatching(/already exists and was not imported/) },
    ]);
    expect((await store.getTool('taken', 'getPetById'))!.handler).toBe('get_time');
  });

  it('an unknown server is a 404 naming the known ones, and nothing is written', async () => {
    await expect(run('nope', {})).rejects.toThrow(/No server "nope" in the servers table \(known: .*pets/);
  });

  it("GitHub's REST API description (api.github.com, 1223 operations) imported with an include filter", async () => {
    const started = performance.now();
    const report = await importOpenApi(writes, {
      source: { location: GITHUB },
      serverId: 'github',
      actor: 'import:openapi',
      include: ['repos/get', 'repos/list-for-org', 'issues/create', 'issues/list-for-repo', 'pulls/*'],
      secrets: {},
    });
    const seconds = (performance.now() - started) / 1000;
    console.log(`GitHub import with --include: ${report.operations.selected} of ${report.operations.total} operations in ${seconds.toFixed(1)} s`);
    expect(report.operations.total).toBeGreaterThan(1000);
    expect(report.created.length).toBe(report.operations.selected - report.skipped.length);
    expect(report.created.map((c) => c.name)).toEqual(expect.arrayContaining(['repos_get', 'issues_create', 'pulls_list']));
    const create = (await store.getTool('github', 'issues_create'))!;
    expect(create.handlerConfig).toMatchObject({ method: 'POST', url: 'https://api.github.com/repos/{owner}/{repo}/issues', body: 'arguments' });
    expect((create.inputSchema as any).required).toEqual(expect.arrayContaining(['owner', 'repo', 'title']));
    expect((await store.getTool('github', 'issues_list-for-repo'))!.handlerConfig).toMatchObject({ query: expect.arrayContaining(['state', 'per_page']) });
    expect(seconds).toBeLessThan(60);
  }, 120_000);
});
