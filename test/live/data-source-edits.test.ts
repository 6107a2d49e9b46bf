// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import type { DataSourceDefinition } from '../../src/providers/data-sources/types.ts';
import { backends, openTestDatabase, type TestDatabase } from '../support/database.ts';
import { json, type RunningToolport, startTestToolport } from '../support/toolport.ts';
import { within } from './within.ts';

/**
 * data_sources edited in SQL (another connection, as psql would) reach the
 * running process through the change feed: the catalog behind GET
 * /data-sources and the sink (the pools) get the whole new list, and the
 * change log says who made the edit.
 */

/** A sink as the pools are one: it keeps every list it was handed. */
function recordingSink() {
  const lists: (readonly DataSourceDefinition[])[] = [];
  let bound: Database | undefined;
  return {
    lists,
    bound: () => bound,
    last: () => lists.at(-1) ?? [],
    replace(definitions: readonly DataSourceDefinition[]) {
      lists.push(definitions);
    },
    bindOwnDatabase(database: Database) {
      bound = database;
    },
    /** As the pools answer: the built-in source works, the others have no secret set here. */
    unavailableReason(id: string) {
      return id === 'samples' ? undefined : `secret for "${id}" is not set`;
    },
  };
}

describe.each(backends)('SQL edits of data_sources go live (%s)', (backend) => {
  let db: TestDatabase;
  let app: RunningToolport;
  let utility: string;
  const sink = recordingSink();

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    app = await startTestToolport(db, {}, { dataSources: sink });
    utility = app.urls.utility!;
  });
  afterAll(async () => {
    await app?.stop();
    await db?.dispose();
  });

  const source = async (id: string) => {
    const response = await fetch(`${utility}/data-sources/${id}`);
    return response.status === 200 ? json(response) : undefined;
  };

  it('at start the sink has the whole list (samples included) and the own database is bound', () => {
    expect(sink.bound()).toBe(db.database);
    expect(sink.last().map((definition) => definition.id)).toEqual(['samples']);
    expect(sink.last()[0]).toMatchObject({ id: 'samples', url: null, access: 'read_only', kind: 'postgres' });
  });

  it('UPDATE data_sources … reaches the catalog and the sink within 2 s; the change log records sql:<role>', async () => {
    const handed = sink.lists.length;
    await db.database.query(`UPDATE data_sources SET description = 'Edited in psql', row_limit = 25 WHERE id = 'samples'`);
    const edited = await within(2000, async () => {
      const body = await source('samples');
      return body?.description === 'Edited in psql' ? body : undefined;
    });
    expect(edited.rowLimit).toBe(25);
    expect(Date.parse(edited.updatedAt)).toBeGreaterThan(Date.parse(edited.createdAt));
    expect(sink.lists.length).toBeGreaterThan(handed);
    expect(sink.last().find((definition) => definition.id === 'samples')).toMatchObject({ description: 'Edited in psql', rowLimit: 25 });

    const role = (await db.database.query(`select current_user::text as role`)).rows[0]!.role;
    const changes = await db.database.query(`select table_name, server_id, name, operation, actor from registry_changes where table_name = 'data_sources'`);
    expect(changes.rows).toEqual([{ table_name: 'data_sources', server_id: '', name: 'samples', operation: 'UPDATE', actor: `sql:${role}` }]);
  });

  it('INSERT and DELETE in SQL: the new source appears, then goes, in the catalog and the sink', async () => {
    await db.database.query(`INSERT INTO data_sources (id, url, access) VALUES ('warehouse', '\${secret:WAREHOUSE_URL}', 'read_write')`);
    const added = await within(2000, () => source('warehouse'));
    expect(added).toMatchObject({ url: '${secret:WAREHOUSE_URL}', secret: 'WAREHOUSE_URL', secretSet: false, access: 'read_write' });
    // What the pools say about each source is shown beside it.
    expect(added).toMatchObject({ available: false, reason: 'secret for "warehouse" is not set' });
    expect(await source('samples')).toMatchObject({ available: true });
    expect((await source('samples')).reason).toBeUndefined();
    expect(sink.last().map((definition) => definition.id)).toEqual(['samples', 'warehouse']);

    await db.database.query(`DELETE FROM data_sources WHERE id = 'warehouse'`);
    await within(2000, async () => ((await fetch(`${utility}/data-sources/warehouse`)).status === 404 ? true : undefined));
    expect(sink.last().map((definition) => definition.id)).toEqual(['samples']);
  });

  it('a change of data sources leaves the tools as they were', async () => {
    const before = await json(await fetch(`${utility}/tools`));
    await db.database.query(`UPDATE data_sources SET enabled = false WHERE id = 'samples'`);
    await within(2000, async () => ((await source('samples'))?.enabled === false ? true : undefined));
    const after = await json(await fetch(`${utility}/tools`));
    expect(after.tools.map((tool: any) => [tool.name, tool.version])).toEqual(before.tools.map((tool: any) => [tool.name, tool.version]));
  });

  it('a REST write reaches the sink before its answer, recorded with its actor', async () => {
    const response = await fetch(`${utility}/data-sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'rest_made', url: '${secret:REST_MADE}' }),
    });
    expect(response.status).toBe(201);
    expect(sink.last().map((definition) => definition.id)).toContain('rest_made');
    const actor = await db.database.query(`select actor from registry_changes where table_name = 'data_sources' and name = 'rest_made'`);
    expect(actor.rows).toEqual([{ actor: 'local' }]);
  });
});
