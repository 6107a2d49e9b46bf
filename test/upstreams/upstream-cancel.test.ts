import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../live/within.ts';
import { connectLegacy, connectModern } from '../mcp/support.ts';
import { backends } from '../support/database.ts';
import { json, useToolport } from '../support/toolport.ts';
import { startUpstreamServer, type UpstreamServer } from './upstream-server.ts';

/**
 * A proxied call the downstream caller gives up on is given up upstream too
 * (issue 17: "cancellation forwarded when the downstream client cancels"):
 * an MCP client that cancels its tools/call (2026-07-28 and a 2025-era
 * session), and a REST caller that disconnects, each make the upstream's
 * handler see its request cancelled — the upstream is not left working for
 * nobody — and Toolport keeps serving.
 */
describe.each(backends)('cancelling a proxied upstream call (%s)', (backend) => {
  let upstream: UpstreamServer;
  const t = useToolport(backend, { TOOLPORT_CALL_TIMEOUT_MS: '20000' });
  const base = () => t.app.urls.utility!;

  /** Starts a 15 s `slow` call through `send`, waits until the upstream runs it, cancels, and expects the upstream to see it cancelled. */
  async function cancelsUpstream(send: (abort: AbortSignal) => Promise<unknown>): Promise<void> {
    const before = upstream.calls.filter((name) => name === 'slow').length;
    const cancelledBefore = upstream.cancelled;
    const controller = new AbortController();
    const pending = send(controller.signal).then(
      () => 'answered',
      () => 'rejected',
    );
    await within(5000, async () => (upstream.calls.filter((name) => name === 'slow').length > before ? true : undefined), 'the upstream runs slow');
    controller.abort();
    expect(await pending).toBe('rejected');
    await within(3000, async () => (upstream.cancelled > cancelledBefore ? true : undefined), 'the upstream sees its request cancelled');
  }

  beforeAll(async () => {
    upstream = await startUpstreamServer();
    const created = await fetch(`${base()}/upstreams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'far', server: 'utility', url: upstream.url, timeoutMs: 20000 }),
    });
    expect(created.status, JSON.stringify(await json(created))).toBe(201);
    await within(
      3000,
      async () => (((await json(await fetch(`${base()}/tools`))).tools as { name: string }[]).some((tool) => tool.name === 'far_slow') ? true : undefined),
      'far_slow listed',
    );
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('an MCP client (2026-07-28) that cancels its tools/call', async () => {
    const client = await connectModern(base());
    try {
      await cancelsUpstream((signal) => client.callTool({ name: 'far_slow', arguments: { ms: 15000 } }, { signal }));
      // The same client and Toolport go on.
      const echoed = await client.callTool({ name: 'far_echo', arguments: { text: 'still here' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'still here' }]);
    } finally {
      await client.close();
    }
  });

  it('a 2025-era session client that cancels (notifications/cancelled)', async () => {
    const { client } = await connectLegacy(base());
    try {
      await cancelsUpstream((signal) => client.callTool({ name: 'far_slow', arguments: { ms: 15000 } }, undefined, { signal }));
      const echoed = await client.callTool({ name: 'far_echo', arguments: { text: 'again' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'again' }]);
    } finally {
      await client.close();
    }
  });

  it('a 2025-era session client whose tools/call request is dropped (no notifications/cancelled)', async () => {
    const { client, transport } = await connectLegacy(base());
    try {
      const headers = {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': transport.sessionId!,
        'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18',
      };
      await cancelsUpstream((signal) =>
        fetch(`${base()}/mcp`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'far_slow', arguments: { ms: 15000 } } }),
          signal,
        }).then((response) => response.text()),
      );
      // The session goes on.
      const echoed = await client.callTool({ name: 'far_echo', arguments: { text: 'after the drop' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'after the drop' }]);
    } finally {
      await client.close();
    }
  });

  it('a REST caller that disconnects from POST /tools/call', async () => {
    await cancelsUpstream((signal) =>
      fetch(`${base()}/tools/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'far_slow', arguments: { ms: 15000 } }),
        signal,
      }),
    );
    const health = await fetch(`${base()}/health`);
    expect(health.status).toBe(200);
  });
});
