import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { RestEnv } from '../../src/http/env.ts';
import { changesRoutes } from '../../src/http/routes/changes.ts';
import { serverCatalog } from '../../src/registry/catalog.ts';
import { ADMIN_TOKEN, bearer, createKey, KEYED_ENV } from '../mcp/access-support.ts';
import { backends } from '../support/database.ts';
import { useToolport } from '../support/toolport.ts';

interface SseEvent {
  event: string;
  data: any;
}

/** The status of GET <base>/changes when it is refused (the error body read). */
async function refusal(base: string, token: string | undefined): Promise<number> {
  const response = await fetch(`${base}/changes`, { headers: bearer(token) });
  expect(response.status).not.toBe(200);
  expect(((await response.json()) as { error?: unknown }).error).toBeDefined();
  return response.status;
}

/** GET <base>/changes read with fetch and a reader: events as they arrive. */
async function openChanges(base: string, token: string | undefined) {
  const abort = new AbortController();
  const response = await fetch(`${base}/changes`, { headers: bearer(token), signal: abort.signal });
  if (response.status !== 200) throw new Error(`GET /changes answered ${response.status}: ${await response.text()}`);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  let waiting: (() => void) | undefined;
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
          const data = lines
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (event) events.push({ event, data: JSON.parse(data) });
          waiting?.();
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    }
  })();
  /** The first event (not yet taken) matching `match`, within `ms`. */
  let taken = 0;
  async function next(match: (event: SseEvent) => boolean = () => true, ms = 1000): Promise<SseEvent> {
    const until = Date.now() + ms;
    for (;;) {
      for (let index = taken; index < events.length; index++) {
        if (match(events[index]!)) {
          taken = index + 1;
          return events[index]!;
        }
      }
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events.slice(taken))}`);
      await new Promise<void>((resolve) => {
        waiting = resolve;
        setTimeout(resolve, left);
      });
    }
  }
  return {
    events,
    next,
    done: pump,
    async close() {
      abort.abort();
      await pump;
    },
  };
}

async function waitFor(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const admin = bearer(ADMIN_TOKEN);
const toolBody = (name: string) => ({ name, description: `Tool ${name}`, handler: 'get_time', parameters: [] });
const names = (event: SseEvent) => [...event.data.created, ...event.data.updated, ...event.data.deleted];

/** GET /changes against a real Toolport: events from REST and SQL, the caller's visibility, refusals, and cleanup on disconnect. */
describe.each(backends)('GET /changes (%s)', (backend) => {
  const t = useToolport(backend, { ...KEYED_ENV, TOOLPORT_CHANGE_POLL_MS: '50', TOOLPORT_GATEWAY_PORT: '0' });
  const finance = () => t.app.urls.finance!;
  const post = (base: string, name: string) =>
    fetch(`${base}/tools`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(toolBody(name)) });

  it('a POST /tools and an SQL UPDATE each arrive as one event naming the tool, within a second', async () => {
    const stream = await openChanges(finance(), ADMIN_TOKEN);
    const ready = await stream.next((event) => event.event === 'ready');
    expect(ready.data).toMatchObject({ server: 'finance' });

    expect((await post(finance(), 'sse_created')).status).toBe(201);
    const created = await stream.next((event) => event.event === 'tools');
    expect(created.data).toMatchObject({ server: 'finance', created: ['sse_created'], updated: [], deleted: [] });
    expect(created.data.revision).toBeGreaterThan(ready.data.revision);

    await t.db.database.query(`UPDATE tools SET description = 'edited in SQL' WHERE server_id = 'finance' AND name = 'sse_created'`);
    const updated = await stream.next((event) => event.event === 'tools');
    expect(updated.data).toMatchObject({ server: 'finance', created: [], updated: ['sse_created'], deleted: [] });
    // Names only: no definitions, descriptions or configs.
    expect(JSON.stringify(updated.data)).not.toContain('edited in SQL');

    expect((await fetch(`${finance()}/tools/sse_created`, { method: 'DELETE', headers: admin })).status).toBe(200);
    const deleted = await stream.next((event) => event.event === 'tools');
    expect(deleted.data).toMatchObject({ created: [], updated: [], deleted: ['sse_created'] });
    await stream.close();
  });

  it('refuses a missing, wrong or revoked credential with 401, and a key for another server with 403, as GET /tools does', async () => {
    expect(await refusal(finance(), undefined)).toBe(401);
    expect(await refusal(finance(), 'tp_not_a_real_key_0123456789')).toBe(401);
    const key = await createKey(t.app, 'sse-revoked', ['finance:list']);
    const ok = await openChanges(finance(), key.key);
    await ok.next((event) => event.event === 'ready');
    await ok.close();
    await t.app.toolport.access.keys.revoke('admin-token', key.id);
    expect(await refusal(finance(), key.key)).toBe(401);
    const other = await createKey(t.app, 'sse-utility', ['utility:list']);
    expect(await refusal(finance(), other.key)).toBe(403);
    expect((await fetch(`${finance()}/tools`, { headers: bearer(other.key) })).status).toBe(403);
  });

  it('an open stream ends with an `ended` event at the next change once its key is revoked', async () => {
    const key = await createKey(t.app, 'sse-revoked-open', ['finance:list']);
    const stream = await openChanges(finance(), key.key);
    await stream.next((event) => event.event === 'ready');
    expect((await post(finance(), 'sse_before_revoke')).status).toBe(201);
    expect((await stream.next((event) => event.event === 'tools')).data).toMatchObject({ created: ['sse_before_revoke'] });
    await t.app.toolport.access.keys.revoke('admin-token', key.id);
    expect((await post(finance(), 'sse_after_revoke')).status).toBe(201);
    const ended = await stream.next((event) => event.event !== 'ready' && !(event.event === 'tools' && event.data.created?.includes('sse_before_revoke')));
    expect(ended.event).toBe('ended');
    expect(ended.data.reason).toMatch(/no longer valid/);
    expect(JSON.stringify(stream.events)).not.toContain('sse_after_revoke');
    // The server ended the response: the reader sees its end.
    await stream.done;
  });

  it('a key scoped to some tools hears only of those', async () => {
    const key = await createKey(t.app, 'sse-globbed', ['finance:call:seen_*']);
    const stream = await openChanges(finance(), key.key);
    await stream.next((event) => event.event === 'ready');
    expect((await post(finance(), 'hidden_tool')).status).toBe(201);
    expect((await post(finance(), 'seen_tool')).status).toBe(201);
    const event = await stream.next((e) => e.event === 'tools');
    expect(event.data.created).toEqual(['seen_tool']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stream.events.flatMap((e) => (e.event === 'tools' ? names(e) : []))).not.toContain('hidden_tool');
    await stream.close();
  });

  it('a servers row changed over REST or in SQL is a `servers` event naming it, only to callers who may list that server', async () => {
    const adminStream = await openChanges(finance(), ADMIN_TOKEN);
    const key = await createKey(t.app, 'sse-servers', ['finance:list']);
    const keyStream = await openChanges(finance(), key.key);
    await adminStream.next((event) => event.event === 'ready');
    await keyStream.next((event) => event.event === 'ready');
    const patched = await fetch(`${finance()}/servers/utility`, {
      method: 'PATCH',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'changed over REST' }),
    });
    expect(patched.status).toBe(200);
    expect((await adminStream.next((event) => event.event === 'servers')).data).toEqual({ servers: ['utility'] });
    await t.db.database.query(`UPDATE servers SET description = 'changed in SQL' WHERE id = 'finance'`);
    // A REST write is announced when it is served and again when the change log brings it (at least once, ids only).
    const aboutFinance = (event: SseEvent) => event.event === 'servers' && event.data.servers.includes('finance');
    expect((await adminStream.next(aboutFinance, 3000)).data).toEqual({ servers: ['finance'] });
    // The finance key hears of finance, never of utility; ids only, never the row.
    expect((await keyStream.next(aboutFinance, 3000)).data).toEqual({ servers: ['finance'] });
    const heard = JSON.stringify(keyStream.events);
    expect(heard).not.toContain('utility');
    expect(heard + JSON.stringify(adminStream.events)).not.toContain('changed in SQL');
    await adminStream.close();
    await keyStream.close();
  });

  it('works on the gateway path of a server', async () => {
    const stream = await openChanges(`${t.app.gatewayUrl}/finance`, ADMIN_TOKEN);
    await stream.next((event) => event.event === 'ready');
    expect((await post(finance(), 'via_gateway')).status).toBe(201);
    expect((await stream.next((event) => event.event === 'tools')).data).toMatchObject({ server: 'finance', created: ['via_gateway'] });
    await stream.close();
  });

  it('is also at the gateway root (reserved: no server may be called "changes" or "upstreams")', async () => {
    const stream = await openChanges(`${t.app.gatewayUrl}`, ADMIN_TOKEN);
    expect((await stream.next((event) => event.event === 'ready')).data).toMatchObject({ revision: expect.any(Number) });
    await stream.close();
    const upstreams = await fetch(`${t.app.gatewayUrl}/upstreams`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(upstreams.status).toBe(200);
    for (const id of ['changes', 'upstreams']) {
      const refused = await fetch(`${t.app.gatewayUrl}/servers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
      });
      expect(refused.status).toBe(400);
    }
  });

  it('a client that disconnects leaves no listener behind', async () => {
    const registry = t.app.toolport.runtime.registry;
    // Earlier tests' streams end when their server notices the disconnect: wait for the count to settle.
    let before = registry.listenerCount('changed');
    for (let stable = 0; stable < 10; stable++) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      const now = registry.listenerCount('changed');
      if (now !== before) stable = 0;
      before = now;
    }
    const streams = [await openChanges(finance(), ADMIN_TOKEN), await openChanges(finance(), ADMIN_TOKEN)];
    for (const stream of streams) await stream.next((event) => event.event === 'ready');
    expect(registry.listenerCount('changed')).toBe(before + 2);
    for (const stream of streams) await stream.close();
    await waitFor(() => registry.listenerCount('changed') === before, 'the listeners to go');
  });

  it('sends a heartbeat comment on an idle stream, and ends it when the reader cancels', async () => {
    // The route on its own (heartbeat every 50 ms instead of 15 s) over this Toolport's real registry.
    const registry = t.app.toolport.runtime.registry;
    const app = new Hono<RestEnv>();
    app.use('*', (c, next) => {
      c.set('catalog', serverCatalog(registry, 'finance'));
      return next();
    });
    app.route('/changes', changesRoutes({ server: 'finance', reads: (_c, next) => next(), heartbeatMs: 50 }));
    const before = registry.listenerCount('changed');
    const response = await app.request('/changes');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = Date.now() + 1000;
    while (!text.includes(': heartbeat\n\n') && Date.now() < until) text += decoder.decode((await reader.read()).value, { stream: true });
    expect(text).toMatch(/^event: ready\ndata: \{"server":"finance"/);
    expect(text).toContain(': heartbeat\n\n');
    expect(registry.listenerCount('changed')).toBe(before + 1);
    await reader.cancel();
    await waitFor(() => registry.listenerCount('changed') === before, 'the listener to go');
  });
});

describe('GET /changes: TOOLPORT_MAX_CHANGE_STREAMS', () => {
  const t = useToolport('pglite', { ...KEYED_ENV, TOOLPORT_MAX_CHANGE_STREAMS: '2' });

  it('refuses one stream past the cap with 503 naming the setting, and takes one again once a stream closes', async () => {
    const base = t.app.urls.finance!;
    const first = await openChanges(base, ADMIN_TOKEN);
    const second = await openChanges(base, ADMIN_TOKEN);
    await Promise.all([first.next((event) => event.event === 'ready'), second.next((event) => event.event === 'ready')]);
    const refused = await fetch(`${base}/changes`, { headers: admin });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/TOOLPORT_MAX_CHANGE_STREAMS/);
    // Another listener counts its own streams.
    const other = await openChanges(t.app.urls.utility!, ADMIN_TOKEN);
    await other.next((event) => event.event === 'ready');
    await first.close();
    let third: Awaited<ReturnType<typeof openChanges>> | undefined;
    for (let attempt = 0; attempt < 50 && !third; attempt++) {
      third = await openChanges(base, ADMIN_TOKEN).catch(() => undefined);
      if (!third) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(third).toBeDefined();
    await third!.next((event) => event.event === 'ready');
    await Promise.all([second.close(), third!.close(), other.close()]);
  });
});
