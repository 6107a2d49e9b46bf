import { MODERN_META, postMcp } from '../mcp/support.ts';

/** Raw /mcp requests for the access tests: what a plain HTTP client (curl) sends, and how to read the answer. */

/** A hand-written 2026-07-28 JSON-RPC request to /mcp (what curl would send; no session needed). */
export function mcpRequest(base: string, method: string, params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  const name: Record<string, string> = typeof params.name === 'string' ? { 'mcp-name': params.name } : {};
  return postMcp(
    base,
    { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: MODERN_META } },
    {
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...name,
      ...headers,
    },
  );
}

/** The JSON-RPC message of an /mcp answer, whether it came as JSON or as one SSE event. */
export async function rpcBody(response: Response): Promise<any> {
  const text = await response.text();
  const data = text.startsWith('{')
    ? text
    : text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .at(-1)
        ?.slice(5);
  if (!data) throw new Error(`expected a JSON-RPC answer, got ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(data);
}
