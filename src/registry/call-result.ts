import type { JsonObject } from '../handlers/define.ts';
import type { ContentBlock, ToolResult } from '../handlers/result.ts';

/** MCP's CallToolResult, which REST returns too. */
export interface CallToolResultValue {
  content: ContentBlock[];
  structuredContent?: JsonObject;
  isError: boolean;
}

/**
 * The outcome of a call, carrying its own encoding: a JSON-object result's
 * text block *is* the JSON of its structuredContent, so the value is encoded
 * once, not twice, whichever adapter writes it.
 */
export class CallResult {
  private constructor(
    readonly value: CallToolResultValue,
    /** Set when the one text block is the JSON text of structuredContent. */
    private readonly structuredText: string | undefined,
  ) {}

  /** A handler's JSON object: one text block holding its JSON, plus structuredContent. */
  static ofJson(value: JsonObject): CallResult {
    const text = JSON.stringify(value);
    return new CallResult({ content: [{ type: 'text', text }], structuredContent: value, isError: false }, text);
  }

  /** A full CallToolResult (already checked against the spec's shapes), carried unchanged. */
  static ofToolResult(result: ToolResult): CallResult {
    // Member order as the SDK path sends it: content, structuredContent, isError.
    const value = { content: [...result.content] } as CallToolResultValue;
    if (result.structuredContent !== undefined) value.structuredContent = result.structuredContent;
    value.isError = result.isError === true;
    return new CallResult(value, undefined);
  }

  /** A failure shown to the model as a result (MCP): one text block, isError. */
  static ofError(message: string): CallResult {
    return new CallResult({ content: [{ type: 'text', text: message }], isError: true }, undefined);
  }

  get isError(): boolean {
    return this.value.isError;
  }

  /** The result as JSON text; `more` (the JSON text of an object) adds its members after isError. */
  encode(more?: string): string {
    const tail = more && more !== '{}' ? ',' + more.slice(1) : '}';
    if (this.structuredText !== undefined) {
      return `{"content":[{"type":"text","text":${JSON.stringify(this.structuredText)}}],"structuredContent":${this.structuredText},"isError":${this.value.isError}${tail}`;
    }
    const plain = JSON.stringify(this.value);
    return tail === '}' ? plain : plain.slice(0, -1) + tail;
  }
}
