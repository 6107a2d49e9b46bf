/**
 * The one error of outbound HTTP: a kind from a closed set, the URL it is
 * about (without userinfo, query string or fragment), and a message that says
 * what happened and why. Messages never carry request headers, bodies, query
 * strings or credentials, so they can be logged and returned as they are.
 */

export type OutboundErrorKind = 'refused' | 'timeout' | 'aborted' | 'network' | 'too_large' | 'bad_url' | 'too_many_redirects';

export class OutboundError extends Error {
  readonly kind: OutboundErrorKind;
  /** The URL the error is about, made safe by `safeUrl`. */
  readonly url: string;

  constructor(kind: OutboundErrorKind, url: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutboundError';
    this.kind = kind;
    this.url = url;
  }
}

/** `scheme://host[:port]/path` of a parsed URL: no userinfo, no query, no fragment. */
export function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** The same for a string that may not even parse: cut at `?`/`#`, drop `user:pass@`. */
export function safeUrlText(text: string): string {
  try {
    return safeUrl(new URL(text));
  } catch {
    const cut = text.split(/[?#]/, 1)[0] ?? '';
    return cut.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, '$1').slice(0, 200);
  }
}
