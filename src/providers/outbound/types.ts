/**
 * The contract of outbound HTTP (what the `http` handler kind calls): one
 * request in, the whole bounded response out, or an OutboundError.
 */

export interface OutboundRequest {
  /** GET, POST, … (an HTTP method token; upper-cased). */
  method: string;
  /** Absolute http(s) URL; no userinfo. A URL object is used as it is (not parsed again). */
  url: string | URL;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** The whole request: resolution, connection, redirects and the body read. */
  timeoutMs: number;
  /** The caller's abort (deadline, client gone) → OutboundError 'aborted'. */
  signal?: AbortSignal;
  /** A larger body → OutboundError 'too_large'; reading stops (at most the bound plus one chunk is held). */
  maxResponseBytes: number;
  /** Default 5; each hop is checked like the first. 0: any redirect is 'too_many_redirects'. */
  maxRedirects?: number;
}

export interface OutboundResponse {
  status: number;
  /** Every response header (built on first use). */
  headers: Headers;
  /** One header's value (repeated ones joined with ", "), or null: cheaper than `headers` for a single read. */
  header(name: string): string | null;
  body: Uint8Array;
  /** The final URL (after redirects). */
  url: string;
  /** How many redirects were followed. */
  redirects: number;
  /** The IP address connected to. */
  address: string;
}

export interface OutboundHttp {
  request(request: OutboundRequest): Promise<OutboundResponse>;
  /** Closes the pooled connections; later requests fail. */
  close(): Promise<void>;
}

export interface OutboundOptions {
  /** TOOLPORT_HTTP_ALLOW items: host names, "*.suffix" patterns, CIDRs and bare IPs. */
  allow: string[];
  /** e.g. ['127.0.0.1:5353']: resolve with these servers (A and AAAA); default: the system resolver. */
  dnsServers?: string[];
}
