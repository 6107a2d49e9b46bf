import type { Context } from 'hono';
import { jsonContentTypeProblem } from '../shared/content-type.ts';
import { AppError } from '../shared/errors.ts';
import { type BodyText, readBoundedText, tooLargeMessage } from '../shared/http-body.ts';
import { findJsonProblem, jsonProblemMessage } from '../shared/json-guard.ts';
import type { RestEnv } from './env.ts';

/** Bounds on what a REST body may be (TOOLPORT_MAX_BODY_BYTES, TOOLPORT_MAX_JSON_DEPTH). */
export interface BodyLimits {
  maxBytes: number;
  maxDepth: number;
}

/**
 * Read a JSON body: `Content-Type: application/json` is required (415
 * otherwise: a web page cannot send that cross-site without a preflight), then
 * a clear error for empty, oversized or malformed JSON, and for JSON that
 * nests too deep or carries NUL characters or lone surrogates (see
 * shared/json-guard.ts). The body is read without building a fetch Request:
 * touching `c.req.raw.body` makes @hono/node-server build a full Request and
 * AbortSignal per request, a measurable share of a tool call.
 */
export async function readJson(c: Context<RestEnv>, limits: BodyLimits): Promise<unknown> {
  const mediaProblem = jsonContentTypeProblem(c.req.header('content-type'));
  if (mediaProblem) {
    c.header('connection', 'close'); // the body is not read
    throw new AppError('unsupported_media_type', mediaProblem);
  }
  const read = await readBodyText(c, limits);
  if (read.text.trim() === '') throw new AppError('bad_request', 'The request body is empty: send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(read.text);
  } catch (error) {
    throw new AppError('bad_request', `Malformed JSON body: ${(error as Error).message}`, {
      details: [{ path: '/', message: 'not valid JSON' }],
    });
  }
  const problem = findJsonProblem(value, { maxDepth: limits.maxDepth, text: read.text });
  if (problem) throw new AppError('bad_request', jsonProblemMessage(problem), { details: [{ path: problem.path, message: problem.message }] });
  return value;
}

/**
 * The body as text, within limits.maxBytes (413 past it): the caller has
 * checked the media type already. A declared length within the bound is
 * read directly; anything else through the bounded reader.
 */
export async function readBodyText(c: Context<RestEnv>, limits: Pick<BodyLimits, 'maxBytes'>): Promise<{ text: string }> {
  const incoming = c.env?.incoming;
  const contentLength = c.req.header('content-length');
  let read: BodyText;
  try {
    // The common case (a declared length within the bound) without the reader's closures: this is the call path.
    const declared = contentLength === undefined ? Number.NaN : Number(contentLength);
    read =
      declared <= limits.maxBytes
        ? { text: await c.req.text() }
        : await readBoundedText(
            {
              contentLength,
              readDirect: () => c.req.text(),
              stream: () => (incoming as AsyncIterable<Uint8Array> | undefined) ?? c.req.raw.body,
            },
            limits.maxBytes,
          );
  } catch (error) {
    // The client aborted, or sent a body its framing does not match (a bad chunk): its fault, not ours.
    c.header('connection', 'close');
    throw new AppError('bad_request', `The request body could not be read: ${(error as Error)?.message ?? String(error)}`);
  }
  if (read.tooLarge) {
    c.header('connection', 'close'); // the rest of the body is not read
    throw new AppError('payload_too_large', tooLargeMessage(limits.maxBytes));
  }
  return { text: read.text };
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
