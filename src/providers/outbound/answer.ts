import type { Dispatcher } from 'undici';
import { OutboundError, safeUrl } from './errors.ts';
import type { OutboundResponse } from './types.ts';

/** A response whose headers become a fetch `Headers` only when asked for: most callers read one or two of them. */
export class Answer implements OutboundResponse {
  private built: Headers | undefined;
  constructor(
    readonly status: number,
    private readonly raw: Dispatcher.ResponseData['headers'],
    readonly body: Uint8Array,
    readonly url: string,
    readonly redirects: number,
    readonly address: string,
  ) {}

  get headers(): Headers {
    this.built ??= toHeaders(this.raw);
    return this.built;
  }

  header(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

/** The body, or OutboundError 'too_large' as soon as it passes `max` (the connection is dropped). */
export function readBounded(response: Dispatcher.ResponseData, max: number, url: URL): Promise<Uint8Array> {
  const tooLarge = () => {
    response.body.destroy();
    const safe = safeUrl(url);
    return new OutboundError('too_large', safe, `too_large ${safe}: the response body is larger than ${max} bytes`);
  };
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.reject(tooLarge());
  // Data events rather than async iteration: the same bytes with fewer promises per chunk.
  return new Promise<Uint8Array>((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const body = response.body;
    body.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        body.removeAllListeners('data');
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    body.once('error', reject);
    body.once('end', () => resolvePromise(chunks.length === 1 ? chunks[0]! : new Uint8Array(Buffer.concat(chunks, total))));
  });
}

function toHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}
