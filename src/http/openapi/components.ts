import { STATUS_BY_CODE } from '../../shared/errors.ts';
import type { JsonSchema } from './json-schema.ts';

/**
 * The schemas and responses every operation refers to: the one error
 * envelope (shared/errors.ts errorBody) and the views the routes answer.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const ERROR_CODES = Object.keys(STATUS_BY_CODE);

const ErrorBody: JsonSchema = {
  type: 'object',
  description:
    'Every REST error, whatever the route: a code from a closed set (the HTTP status follows from it), a message naming the field and the reason, and what identifies the answer.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'timestamp'],
      properties: {
        code: { type: 'string', enum: ERROR_CODES },
        message: { type: 'string' },
        details: {
          type: 'array',
          description: 'Every problem found in the input: a JSON-pointer-like path (/parameters/0/type, /query/limit) and what is wrong there.',
          items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
        server: { type: 'string', description: 'The server (or the gateway) that answered.' },
        requestId: { type: 'string', description: 'The X-Request-Id of the request (the same id is in the log and the audit trail).' },
        timestamp: { type: 'string', format: 'date-time' },
        scope: { type: 'string', description: 'On 401/403: the scope the request needs.' },
        retryAfterMs: { type: 'integer', description: 'On 429: when to try again (Retry-After says it in seconds).' },
      },
      additionalProperties: true,
    },
  },
};

const Tool: JsonSchema = {
  type: 'object',
  required: ['name', 'description', 'inputSchema', 'handler', 'enabled', 'available', 'version'],
  properties: {
    name: { type: 'string' },
    title: { type: ['string', 'null'] },
    description: { type: 'string' },
    inputSchema: { type: 'object' },
    outputSchema: { type: ['object', 'null'] },
    handler: { type: 'string' },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a secret reference as users write it, not a template
    config: { type: 'object', description: "The handler kind's configuration; secrets are shown as ${secret:NAME} references." },
    annotations: { type: ['object', 'null'] },
    enabled: { type: 'boolean' },
    available: { type: 'boolean', description: 'Whether it can be called now.' },
    reason: { type: 'string', description: 'Why it cannot be called (disabled, an unknown handler, a bad config …).' },
    version: { type: 'integer', description: 'Also the ETag; send it as If-Match to write only over this version.' },
    id: { type: 'string', format: 'uuid' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

const ToolList: JsonSchema = {
  type: 'object',
  required: ['server', 'count', 'tools'],
  properties: {
    server: { type: ['string', 'null'] },
    count: { type: 'integer', description: 'Every tool the caller sees, not only this page.' },
    tools: { type: 'array', items: ref('Tool') },
    nextCursor: { type: 'string', description: 'Pass it as ?cursor= for the next page; absent on the last.' },
  },
};

const CallResult: JsonSchema = {
  type: 'object',
  description: 'An MCP CallToolResult. A tool that fails as a result (isError: true) is a 200; a call that cannot run is an error body.',
  required: ['content', 'isError'],
  properties: {
    content: { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' }, text: { type: 'string' } } } },
    structuredContent: { type: 'object' },
    isError: { type: 'boolean' },
  },
};

const Anything: JsonSchema = { type: 'object', additionalProperties: true };

export const SCHEMAS: Record<string, JsonSchema> = { ErrorBody, Tool, ToolList, CallResult, Object: Anything };

/** The error responses an operation may answer, by status. */
export const ERROR_RESPONSES: Record<string, string> = {
  '400': 'The input is invalid: the message names the field and the reason',
  '401': 'No credential, or one that is wrong, expired or revoked (WWW-Authenticate says how to authenticate)',
  '403': 'The credential lacks the scope this needs (named in the body and WWW-Authenticate), or a foreign browser Origin',
  '404': 'No such resource',
  '409': 'A conflict with what exists (a name taken, a port in use)',
  '412': 'If-Match names a version that is no longer the current one',
  '413': 'The body is over the limit (TOOLPORT_MAX_BODY_BYTES)',
  '415': 'The Content-Type is not one this route reads',
  '429': 'A rate limit: retry after Retry-After seconds',
  '502': "The tool's handler failed (an upstream error)",
  '503': 'The database is unreachable',
  '504': 'The call ran past its deadline',
};

export function errorResponse(status: string) {
  return { $ref: `#/components/responses/Error${status}` };
}

export const RESPONSES = Object.fromEntries(
  Object.entries(ERROR_RESPONSES).map(([status, description]) => [
    `Error${status}`,
    { description, content: { 'application/json': { schema: ref('ErrorBody') } } },
  ]),
);

export { ref };
