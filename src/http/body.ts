import type { Context } from 'hono';
import { AppError } from '../shared/errors.ts';
import { readBoundedText, tooLargeMessage } from '../shared/http-body.ts';
import type { RestEnv } from './env.ts';

/**
 * Read a JSON body whatever the Content-Type says (curl -d sends
 * form-encoding by default), with a clear error for empty, oversized or
 * malformed JSON. The body is read without building a fetch Request:
 * touching `c.req.raw.body` makes @hono/node-server build a full Request and
 * AbortSignal per request, a measurable share of a tool call.
 */
export async function readJson(c: Context<RestEnv>, maxBytes: number): Promise<unknown> {
  const incoming = c.env?.incoming;
  const read = await readBoundedText(
    {
      contentLength: c.req.header('content-length'),
      readDirect: () => c.req.text(),
      stream: () => (incoming as AsyncIterable<Uint8Array> | undefined) ?? c.req.raw.body,
    },
    maxBytes,
  );
  if (read.tooLarge) {
    c.header('connection', 'close'); // the rest of the body is not read
    throw new AppError('payload_too_large', tooLargeMessage(maxBytes));
  }
  if (read.text.trim() === '') throw new AppError('bad_request', 'The request body is empty: send a JSON object');
  try {
    return JSON.parse(read.text);
  } catch (error) {
    throw new AppError('bad_request', `Malformed JSON body: ${(error as Error).message}`, {
      details: [{ path: '/', message: 'not valid JSON' }],
    });
  }
}

/**
 * The client's disconnect as an abort signal, built only when a handler asks
 * for it (see CallOptions.signal): the response closing before it finished
 * means the client went away.
 */
export function disconnectSignal(c: Context<RestEnv>): () => AbortSignal {
  return () => {
    const controller = new AbortController();
    const outgoing = c.env?.outgoing;
    if (outgoing && !outgoing.writableFinished) {
      outgoing.once('close', () => {
        if (!outgoing.writableFinished) controller.abort(new Error('the client disconnected'));
      });
    }
    return controller.signal;
  };
}
