import ipaddr from 'ipaddr.js';

/**
 * TOOLPORT_AUTH: `required` — every request needs a credential; `local-open`
 * — callers on this machine (loopback) may list and call without one
 * (Toolport's behaviour before keys). Unset, it follows the listeners: any
 * bind address off loopback (0.0.0.0, a LAN address, a host name) means
 * `required`, because the network can reach it.
 */
export type AuthPolicy = 'required' | 'local-open';

export const AUTH_POLICIES: readonly AuthPolicy[] = ['required', 'local-open'];

export interface AuthPolicyDecision {
  policy: AuthPolicy;
  /** For the start-up log: which policy and why. */
  reason: string;
}

/** Whether a bind address is loopback only: 127.0.0.0/8, ::1, localhost. 0.0.0.0 and :: (every interface) are not. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (bare === 'localhost') return true;
  if (!ipaddr.isValid(bare)) return false; // a host name: it may resolve to anything
  const address = ipaddr.process(bare);
  return address.range() === 'loopback';
}

/**
 * Whether a socket's remote address is loopback (127.0.0.0/8, ::1, and
 * IPv4-mapped ::ffff:127.x): the caller is on this machine. Undefined or
 * unparsable is not.
 */
/** Socket addresses seen, and whether each is loopback: a process sees few, and parsing one per request shows in profiles. */
const loopbackByAddress = new Map<string, boolean>();

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  let loopback = loopbackByAddress.get(address);
  if (loopback === undefined) {
    loopback = ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback';
    if (loopbackByAddress.size >= 10_000) loopbackByAddress.clear();
    loopbackByAddress.set(address, loopback);
  }
  return loopback;
}

export function authPolicy({ bindHosts, configured }: { bindHosts: readonly string[]; configured: AuthPolicy | undefined }): AuthPolicyDecision {
  const open = bindHosts.filter((host) => !isLoopbackHost(host));
  const where = open.length
    ? `a listener binds ${[...new Set(open)].join(', ')} (not loopback)`
    : `every listener binds loopback (${[...new Set(bindHosts)].join(', ') || 'none'})`;
  if (configured === 'required') return { policy: 'required', reason: `TOOLPORT_AUTH=required: every request needs a credential; ${where}` };
  if (configured === 'local-open') {
    return {
      policy: 'local-open',
      reason: `TOOLPORT_AUTH=local-open: loopback callers may list and call without a credential, others need one; ${where}`,
    };
  }
  if (open.length) {
    return {
      policy: 'required',
      reason: `${where}: every request needs a credential (TOOLPORT_AUTH unset; set it to local-open to let loopback callers in without one)`,
    };
  }
  return {
    policy: 'local-open',
    reason: `${where}: callers on this machine may list and call without a credential (TOOLPORT_AUTH unset; set it to required to ask for one)`,
  };
}
