import type { CallToolResult } from '@modelcontextprotocol/client';
import * as v from 'valibot';
import { UpstreamAnswerError } from './errors.ts';

/**
 * The `result` of a 2026-07-28 `tools/call` read off the wire by the direct
 * call (direct-call.ts), checked as the SDK client checks it before the
 * mcp-proxy kind passes it on: `resultType` must be `complete` (Toolport
 * declares no client capabilities, so an `input_required` result asks for
 * what it cannot give), the content blocks must be of the spec's types with
 * their required members, `isError` a boolean; a structuredContent that is
 * not an object gets its JSON text appended as a text block when there is
 * none, as the SDK does for this era.
 */

const annotated = { annotations: v.optional(v.record(v.string(), v.unknown())), _meta: v.optional(v.record(v.string(), v.unknown())) };

const contentBlockSchema = v.variant('type', [
  v.looseObject({ type: v.literal('text'), text: v.string(), ...annotated }),
  v.looseObject({ type: v.literal('image'), data: v.string(), mimeType: v.string(), ...annotated }),
  v.looseObject({ type: v.literal('audio'), data: v.string(), mimeType: v.string(), ...annotated }),
  v.looseObject({ type: v.literal('resource'), resource: v.looseObject({ uri: v.string() }), ...annotated }),
  v.looseObject({ type: v.literal('resource_link'), uri: v.string(), name: v.string(), ...annotated }),
]);

const callToolResultSchema = v.looseObject({
  content: v.optional(v.array(contentBlockSchema), []),
  structuredContent: v.optional(v.unknown()),
  isError: v.optional(v.boolean()),
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The result, checked; an UpstreamAnswerError saying what is wrong with it otherwise. */
export function decodeCallToolResult(raw: unknown): CallToolResult {
  if (!isPlainObject(raw)) throw new UpstreamAnswerError('invalid tools/call result: not an object');
  const { resultType, ...rest } = raw;
  if (resultType === 'input_required') {
    throw new UpstreamAnswerError('the upstream asked for input (resultType input_required), which a proxied call cannot give');
  }
  if (resultType !== 'complete') {
    throw new UpstreamAnswerError(
      `invalid tools/call result: resultType ${resultType === undefined ? 'is missing' : `${JSON.stringify(resultType)} is not "complete"`}`,
    );
  }
  const parsed = v.safeParse(callToolResultSchema, rest);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = v.getDotPath(issue);
    throw new UpstreamAnswerError(`invalid tools/call result: ${path ? `${path}: ` : ''}${issue.message}`);
  }
  const result = parsed.output as CallToolResult;
  const structured = result.structuredContent as unknown;
  if (structured !== undefined && !isPlainObject(structured) && !result.content.some((block) => block.type === 'text')) {
    return { ...result, content: [...result.content, { type: 'text', text: JSON.stringify(structured) }] };
  }
  return result;
}
