// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${secret:NAME}` references are literal text here, not templates.
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../src/auth/principal.ts';
import { serverCatalog } from '../../src/registry/catalog.ts';
import { parseCreateBody, parsePatchBody } from '../../src/registry/definition.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';

/**
 * The write services audit every registry write through the runtime's audit
 * log, driven here directly (no HTTP): tools (create, update, enable,
 * disable, delete, a batch as import entries, refusals with their error
 * code), data sources (the URL only as its ${secret:…} reference), API keys
 * (never the secret or its hash), and a guarded call. Each write appears
 * exactly once: the SQL-edit trigger skips the service's own writes.
 */

const who = (requestId: string) => ({ actor: 'key:writer', actorName: 'ci-writer', requestId });

async function rowsOf(db: { database: { query(sql: string, params?: unknown[]): Promise<{ rows: any[] }> } }, where: string, params: unknown[] = []) {
  const result = await db.database.query(
    `select actor, actor_name, request_id, server_id, tool, action, outcome, version_before, version_after, details
       from audit_log where ${where} order by id`,
    params,
  );
  return result.rows;
}

describe.each(backends)('registry writes in the audit log (%s)', (backend) => {
  const t = useToolport(backend);
  const flush = () => t.app.toolport.runtime.audit.flush();

  it('tool writes: one entry each, with versions, the changed fields, enable/disable, refusals by code; none from the trigger', async () => {
    const { writes } = t.app.toolport.runtime;
    const target = { serverId: 'utility' };
    const body = parseCreateBody({ name: 'audited_clock', description: 'A clock', handler: 'get_time' });
    await writes.create({ ...who('r1'), ...target, body });
    await expect(writes.create({ ...who('r2'), ...target, body })).rejects.toMatchObject({ code: 'conflict' });
    await writes.patch({ ...who('r3'), ...target, name: 'audited_clock', patch: parsePatchBody({ description: 'A better clock' }) });
    await writes.patch({ ...who('r4'), ...target, name: 'audited_clock', patch: parsePatchBody({ enabled: false }) });
    await writes.setEnabled({ ...who('r5'), ...target, name: 'audited_clock', enabled: true });
    await expect(writes.patch({ ...who('r6'), ...target, name: 'audited_clock', patch: parsePatchBody({ title: 'x' }), ifMatch: 1 })).rejects.toMatchObject({
      code: 'precondition_failed',
    });
    await writes.replace({
      ...who('r7'),
      ...target,
      name: 'audited_clock',
      body: parseCreateBody({ name: 'audited_clock', description: 'Replaced', handler: 'get_time', title: 'Clock' }),
    });
    await writes.delete({ ...who('r8'), ...target, name: 'audited_clock', ifMatch: 5 });
    await expect(writes.delete({ ...who('r9'), ...target, name: 'audited_clock' })).rejects.toMatchObject({ code: 'not_found' });
    await flush();

    const rows = await rowsOf(t.db, `tool = 'audited_clock'`);
    const common = { actor: 'key:writer', actor_name: 'ci-writer', server_id: 'utility', tool: 'audited_clock' };
    expect(rows).toEqual([
      { ...common, request_id: 'r1', action: 'create', outcome: 'ok', version_before: null, version_after: 1, details: { handler: 'get_time' } },
      {
        ...common,
        request_id: 'r2',
        action: 'create',
        outcome: 'conflict',
        version_before: null,
        version_after: null,
        details: { error: expect.stringContaining('audited_clock') },
      },
      { ...common, request_id: 'r3', action: 'update', outcome: 'ok', version_before: 1, version_after: 2, details: { changed: ['description'] } },
      { ...common, request_id: 'r4', action: 'disable', outcome: 'ok', version_before: 2, version_after: 3, details: { changed: ['enabled'] } },
      { ...common, request_id: 'r5', action: 'enable', outcome: 'ok', version_before: 3, version_after: 4, details: { changed: ['enabled'] } },
      {
        ...common,
        request_id: 'r6',
        action: 'update',
        outcome: 'precondition_failed',
        version_before: null,
        version_after: null,
        details: { error: expect.stringMatching(/version 4, not 1/) },
      },
      { ...common, request_id: 'r7', action: 'update', outcome: 'ok', version_before: 4, version_after: 5, details: { changed: ['description', 'title'] } },
      { ...common, request_id: 'r8', action: 'delete', outcome: 'ok', version_before: 5, version_after: null, details: { handler: 'get_time' } },
      {
        ...common,
        request_id: 'r9',
        action: 'delete',
        outcome: 'not_found',
        version_before: null,
        version_after: null,
        details: { error: expect.any(String) },
      },
    ]);
    // The trigger of SQL edits saw toolport.actor set on every one of these writes: no sql:<role> twin.
    expect(rows.every((row) => !String(row.actor).startsWith('sql:'))).toBe(true);
    // The change log still has every committed write (the two tables agree).
    const changes = await t.db.database.query(`select count(*)::int as n from registry_changes where name = 'audited_clock'`);
    expect(changes.rows[0]!.n).toBe(6);
  });

  it('a batch (an import) records one import entry per tool written, after the commit, with the import in details; a failed batch one entry', async () => {
    const { writes } = t.app.toolport.runtime;
    const batchActor = { ...who('imp-1'), import: { kind: 'openapi', document: 'Petstore' } };
    await writes.batch(batchActor, async (batch) => {
      await batch.create({ ...batchActor, serverId: 'utility', body: parseCreateBody({ name: 'imported_a', description: 'A', handler: 'get_time' }) });
      await batch.create({ ...batchActor, serverId: 'utility', body: parseCreateBody({ name: 'imported_b', description: 'B', handler: 'get_time' }) });
    });
    const failing = { ...who('imp-2'), import: { kind: 'openapi', document: 'Broken' } };
    await expect(
      writes.batch(failing, async (batch) => {
        await batch.create({ ...failing, serverId: 'utility', body: parseCreateBody({ name: 'imported_c', description: 'C', handler: 'get_time' }) });
        await batch.create({ ...failing, serverId: 'utility', body: parseCreateBody({ name: 'imported_a', description: 'dup', handler: 'get_time' }) });
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await flush();
    const rows = await rowsOf(t.db, `request_id in ('imp-1', 'imp-2')`);
    expect(rows).toEqual([
      expect.objectContaining({
        tool: 'imported_a',
        action: 'import',
        outcome: 'ok',
        version_after: 1,
        details: { operation: 'create', handler: 'get_time', import: batchActor.import },
      }),
      expect.objectContaining({
        tool: 'imported_b',
        action: 'import',
        outcome: 'ok',
        version_after: 1,
        details: { operation: 'create', handler: 'get_time', import: batchActor.import },
      }),
      // Nothing of the failed batch was written (imported_c rolled back): one entry says who tried.
      expect.objectContaining({
        tool: null,
        server_id: null,
        action: 'import',
        outcome: 'conflict',
        actor: 'key:writer',
        details: expect.objectContaining({ import: failing.import }),
      }),
    ]);
  });

  it('data sources: source.create/update/delete with the URL as its ${secret:…} reference only; a literal URL refused without being copied', async () => {
    const { dataSourceWrites } = t.app.toolport.runtime;
    await dataSourceWrites.create(who('ds-1'), { id: 'audited_db', url: '${secret:AUDITED_DB_URL}' });
    await dataSourceWrites.patch(who('ds-2'), 'audited_db', { rowLimit: 50 });
    await dataSourceWrites.delete(who('ds-3'), 'audited_db');
    await expect(dataSourceWrites.create(who('ds-4'), { id: 'leaky', url: 'postgres://app:hunter2@db.internal/app' })).rejects.toMatchObject({
      code: 'bad_request',
    });
    await expect(dataSourceWrites.delete('cli', 'samples')).rejects.toMatchObject({ code: 'conflict' });
    await flush();
    const rows = await rowsOf(t.db, `action like 'source.%'`);
    expect(rows.map((row) => [row.request_id, row.action, row.outcome, row.details?.source])).toEqual([
      ['ds-1', 'source.create', 'ok', 'audited_db'],
      ['ds-2', 'source.update', 'ok', 'audited_db'],
      ['ds-3', 'source.delete', 'ok', 'audited_db'],
      ['ds-4', 'source.create', 'bad_request', 'leaky'],
      [null, 'source.delete', 'conflict', 'samples'],
    ]);
    expect(rows[0]!.details).toEqual({ source: 'audited_db', access: 'read_only', url: '${secret:AUDITED_DB_URL}' });
    expect(rows[1]!.details.changed).toEqual(['rowLimit']);
    expect(rows[3]!.details).toEqual({ source: 'leaky', fields: ['/url'] });
    expect(rows[4]!.actor).toBe('cli');
    const all = await t.db.database.query(
      `select count(*)::int as n from audit_log where details::text like '%hunter2%' or details::text like '%postgres://%'`,
    );
    expect(all.rows[0]!.n).toBe(0);
  });

  it('API keys: key.create and key.revoke with name, prefix and scopes, never the secret or its hash; a guarded call with that key is audited as key:<id>', async () => {
    const { keys, keyRing, caller } = t.app.toolport.access;
    const created = await keys.create(who('k-1'), { name: 'audited-agent', scopes: ['utility:call'] });
    await expect(keys.create(who('k-2'), { name: 'bad', scopes: ['not a scope!'] })).rejects.toMatchObject({ code: 'bad_request' });
    const resolved = keyRing.resolve(created.key);
    expect(resolved.ok).toBe(true);
    const principal = (resolved as { principal: Principal }).principal;
    const catalog = serverCatalog(t.app.toolport.runtime.registry, 'utility');
    const tool = 'get_time';
    await caller.call(catalog, tool, {}, { signal: undefined, principal, requestId: 'k-call' });
    await keys.revoke(who('k-3'), created.key);
    await expect(keys.revoke(who('k-4'), 'tp_zzzzzzzz_notreal')).rejects.toBeDefined();
    await flush();

    const rows = await rowsOf(t.db, `request_id like 'k-%'`);
    expect(rows.map((row) => [row.request_id, row.action, row.outcome, row.actor])).toEqual([
      ['k-1', 'key.create', 'ok', 'key:writer'],
      ['k-2', 'key.create', 'bad_request', 'key:writer'],
      ['k-call', 'call', 'ok', `key:${created.id}`],
      ['k-3', 'key.revoke', 'ok', 'key:writer'],
      ['k-4', 'key.revoke', expect.any(String), 'key:writer'],
    ]);
    expect(rows[0]!.details).toEqual({ keyId: created.id, name: 'audited-agent', prefix: created.prefix, scopes: ['utility:call'], rateLimit: null });
    expect(rows[2]).toMatchObject({ actor_name: 'audited-agent', server_id: 'utility', tool });
    const secret = created.key.split('_').at(-1)!;
    const hash = await t.db.database.query(`select secret_hash from api_keys where id = $1`, [created.id]);
    const leaked = await t.db.database.query(
      `select count(*)::int as n from audit_log where details::text like $1 or details::text like $2 or details::text like $3`,
      [`%${secret}%`, `%${String(hash.rows[0]!.secret_hash)}%`, '%notreal%'],
    );
    expect(leaked.rows[0]!.n).toBe(0);
  });
});
