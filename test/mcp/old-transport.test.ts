import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { describe, expect, it } from 'vitest';
import { useToolport } from '../support/toolport.ts';

/**
 * The HTTP+SSE transport of protocol 2024-11-05 is not served: a client of
 * it (SDK v1's SSEClientTransport) fails to connect, and the answer to its
 * opening GET says why and what to use instead.
 */
describe('the pre-2025 HTTP+SSE transport', () => {
  const t = useToolport('pglite');

  it('a GET /mcp without a session says the old transport is not served; /sse is a 404', async () => {
    const answer = await fetch(`${t.app.urls.finance}/mcp`, { headers: { accept: 'text/event-stream' } });
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as { error: { message: string } };
    expect(body.error.message).toContain('The HTTP+SSE transport of protocol 2024-11-05 is not served: connect with Streamable HTTP.');
    expect((await fetch(`${t.app.urls.finance}/sse`, { headers: { accept: 'text/event-stream' } })).status).toBe(404);
    // A POST without a session is not that client: the plain message.
    const post = await fetch(`${t.app.urls.finance}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(post.status).toBe(400);
    expect(((await post.json()) as { error: { message: string } }).error.message).not.toContain('HTTP+SSE');
  });

  it("SDK v1's SSEClientTransport cannot connect (and the listener keeps serving)", async () => {
    const client = new Client({ name: 'old-sse-client', version: '1.0.0' });
    await expect(client.connect(new SSEClientTransport(new URL(`${t.app.urls.finance}/mcp`)))).rejects.toThrow(/400|SSE/);
    expect((await fetch(`${t.app.urls.finance}/health`)).status).toBe(200);
  });
});
