import type { OperationSpec } from './operation.ts';

const JSON_RPC = {
  description: 'A JSON-RPC 2.0 request, notification or response (or, in the 2025 era, a batch of them)',
  schema: {
    oneOf: [
      {
        type: 'object',
        required: ['jsonrpc'],
        properties: { jsonrpc: { const: '2.0' }, id: { type: ['string', 'integer'] }, method: { type: 'string' }, params: { type: 'object' } },
      },
      { type: 'array', items: { type: 'object' } },
    ],
  },
};

const MCP_DESCRIPTION =
  'MCP over Streamable HTTP, both protocol eras: the 2025 era (initialize, then Mcp-Session-Id) and the stateless 2026 era. ' +
  'Errors are JSON-RPC errors, not the REST envelope. Use an MCP client; tools/list shows the tools the credential sees.';

/** /mcp: documented so that it is found, not described message by message (the MCP specification does that). */
export const MCP_OPERATIONS: OperationSpec[] = [
  {
    method: 'post',
    path: '/mcp',
    tag: 'MCP',
    summary: 'Send MCP messages',
    description: MCP_DESCRIPTION,
    access: 'read',
    body: JSON_RPC,
    ok: { status: '200', description: 'The JSON-RPC response, as JSON or an SSE stream (202 for notifications)', schema: { type: 'object' } },
  },
  {
    method: 'get',
    path: '/mcp',
    tag: 'MCP',
    summary: 'Listen for server messages (SSE: notifications/tools/list_changed)',
    description: MCP_DESCRIPTION,
    access: 'read',
    ok: { status: '200', description: 'A text/event-stream', mediaType: 'text/event-stream', schema: { type: 'string' } },
  },
  {
    method: 'delete',
    path: '/mcp',
    tag: 'MCP',
    summary: 'End a 2025-era session',
    description: MCP_DESCRIPTION,
    access: 'read',
    ok: { status: '200', description: 'The session is ended', schema: { type: 'object' } },
  },
];
