/**
 * The one bounded request-body reader of REST and MCP. With a declared
 * Content-Length, `readDirect` (a Request's `text()`, which
 * @hono/node-server answers with its direct read instead of building a fetch
 * Request around the body stream) is the cheapest path; a chunked body is read
 * from its stream and cut off at the bound.
 */
export type BodyText = { text: string; tooLarge?: undefined } | { tooLarge: true /** the rest of the body was not read */; unread: boolean };

export interface BodySource {
  contentLength: string | null | undefined;
  readDirect(): Promise<string>;
  /** The body as chunks, when there is a body to stream. */
  stream(): AsyncIterable<Uint8Array> | null | undefined;
}

export async function readBoundedText(source: BodySource, maxBytes: number): Promise<BodyText> {
  const declared = Number(source.contentLength ?? Number.NaN);
  if (declared > maxBytes) return { tooLarge: true, unread: true };
  if (Number.isFinite(declared)) return { text: await source.readDirect() };
  const stream = source.stream();
  if (!stream) return { text: '' };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes) return { tooLarge: true, unread: true };
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks, size).toString('utf8') };
}

/** An error message for a body over the limit, naming the variable. */
export function tooLargeMessage(maxBytes: number): string {
  return `The request body is larger than ${maxBytes} bytes (TOOLPORT_MAX_BODY_BYTES)`;
}
