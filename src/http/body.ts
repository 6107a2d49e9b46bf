import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { AppError } from '../errors.ts';
import type { ListenerEnv } from './env.ts';

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `The request body is larger than ${maxBytes} bytes (TOOLPORT_MAX_BODY_BYTES)`);
}

/**
 * The body as text, at most `maxBytes`, without building a fetch Request:
 * touching `c.req.raw.body` (as hono's bodyLimit does) makes
 * @hono/node-server build a full Request and AbortSignal per request, a
 * measurable share of a tool call. With a declared length, `text()` takes
 * node-server's direct read; a chunked body is read from Node's stream and
 * cut off at the bound.
 */
async function readText(c: Context<ListenerEnv>, maxBytes: number): Promise<string> {
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  // Length known and bounded: node-server's own direct read is the cheapest path.
  if (Number.isFinite(declared)) return c.req.text();
  if (!incoming) {
    const text = await c.req.text();
    if (Buffer.byteLength(text) > maxBytes) throw tooLarge(maxBytes);
    return text;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      c.header('connection', 'close'); // the rest of the body is not read
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Read a JSON body whatever the Content-Type says (curl -d sends
 * form-encoding by default), with a clear error for empty, oversized or malformed JSON.
 */
export async function readJson(c: Context<ListenerEnv>): Promise<unknown> {
  const text = await readText(c, c.get('deps').config.maxBodyBytes);
  if (text.trim() === '') throw new AppError('bad_request', 'The request body is empty: send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('bad_request', `Malformed JSON body: ${(error as Error).message}`, {
      details: [{ path: '/', message: 'not valid JSON' }],
    });
  }
}
