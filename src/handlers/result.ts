import * as v from 'valibot';

/**
 * A handler returns either a JSON object (sent as one text block holding its
 * JSON plus `structuredContent`, as before) or a full MCP CallToolResult made
 * with `toolResult()`: content blocks of every type the spec defines (text,
 * image, audio, resource_link, embedded resource), optional
 * `structuredContent`, `isError`. Proxied and HTTP-backed tools need the
 * latter; REST and MCP carry it unchanged.
 *
 * A brand, not the shape, tells the two apart: a plain JSON result may well
 * have a `content` key of its own.
 */
export const TOOL_RESULT = Symbol.for('toolport.toolResult');

const annotations = v.optional(v.record(v.string(), v.unknown()));
const meta = v.optional(v.record(v.string(), v.unknown()));
const base64 = v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'));
const mimeType = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'));

const TextBlock = v.strictObject({ type: v.literal('text'), text: v.string('must be a string'), annotations, _meta: meta });
const ImageBlock = v.strictObject({ type: v.literal('image'), data: base64, mimeType, annotations, _meta: meta });
const AudioBlock = v.strictObject({ type: v.literal('audio'), data: base64, mimeType, annotations, _meta: meta });
const ResourceLinkBlock = v.looseObject({
  type: v.literal('resource_link'),
  uri: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')),
  name: v.string('must be a string'),
});
const EmbeddedResource = v.union(
  [
    v.looseObject({ uri: v.string('must be a string'), text: v.string('must be a string'), mimeType: v.optional(v.string()) }),
    v.looseObject({ uri: v.string('must be a string'), blob: base64, mimeType: v.optional(v.string()) }),
  ],
  'must have a uri and either text or a base64 blob',
);
const ResourceBlock = v.strictObject({ type: v.literal('resource'), resource: EmbeddedResource, annotations, _meta: meta });

export const ContentBlock = v.variant(
  'type',
  [TextBlock, ImageBlock, AudioBlock, ResourceLinkBlock, ResourceBlock],
  'must be a content block of type text, image, audio, resource_link or resource',
);

/** `_meta` is left out on purpose: the server's own envelope owns it. */
export const CallToolResultSchema = v.strictObject({
  content: v.array(ContentBlock, 'must be an array of content blocks'),
  structuredContent: v.optional(
    v.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must be a JSON object'),
  ),
  isError: v.optional(v.boolean('must be true or false')),
});

export type ContentBlock = v.InferOutput<typeof ContentBlock>;
export type ToolResultInit = v.InferInput<typeof CallToolResultSchema>;

/** A CallToolResult a handler returns as is. */
export interface ToolResult {
  readonly [TOOL_RESULT]: true;
  readonly content: readonly ContentBlock[];
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
}

/** Mark a full CallToolResult as the handler's answer (checked against the spec's shapes when the call returns). */
export function toolResult(result: ToolResultInit): ToolResult {
  return { ...result, [TOOL_RESULT]: true } as ToolResult;
}

export function isToolResult(value: unknown): value is ToolResult {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TOOL_RESULT] === true;
}
