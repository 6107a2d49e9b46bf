/**
 * Host name → every address it resolves to, once per request. The system
 * resolver (dns.promises.lookup, all addresses, in the resolver's order) by
 * default; with `dnsServers`, a dns.promises.Resolver on those servers asking
 * for A and AAAA records (used by tests with a local DNS server).
 */
import { promises as dns } from 'node:dns';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type ResolveHost = (hostName: string) => Promise<ResolvedAddress[]>;

/** A resolution failed: `code` is the DNS error code (ENOTFOUND, ETIMEOUT, …). */
export class ResolveError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ResolveError';
    this.code = code;
  }
}

const NO_ANSWER = new Set(['ENODATA', 'ENOTFOUND', 'NODATA', 'NOTFOUND']);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

export function createResolver(dnsServers: readonly string[] | undefined): ResolveHost {
  if (!dnsServers || dnsServers.length === 0) {
    return async (hostName) => {
      try {
        const found = await dns.lookup(hostName, { all: true, order: 'verbatim' });
        return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
      } catch (error) {
        throw new ResolveError(codeOf(error), `${hostName} could not be resolved (${codeOf(error)})`);
      }
    };
  }
  const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([...dnsServers]);
  return async (hostName) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostName), resolver.resolve6(hostName)]);
    const found: ResolvedAddress[] = [];
    if (v4.status === 'fulfilled') for (const address of v4.value) found.push({ address, family: 4 });
    if (v6.status === 'fulfilled') for (const address of v6.value) found.push({ address, family: 6 });
    if (found.length > 0) return found;
    // Both failed or were empty: report the more telling error.
    const failures = [v4, v6].flatMap((result) => (result.status === 'rejected' ? [codeOf(result.reason)] : []));
    const code = failures.find((c) => !NO_ANSWER.has(c)) ?? failures[0] ?? 'ENODATA';
    throw new ResolveError(code, `${hostName} could not be resolved (${code})`);
  };
}
