/**
 * Which addresses an outbound call may reach. Public unicast addresses are
 * allowed; everything else — loopback, private, link-local, CGNAT, multicast,
 * unspecified, broadcast, reserved, cloud metadata, and the IPv6 forms that
 * embed such an IPv4 address — is refused unless TOOLPORT_HTTP_ALLOW lists it.
 * Address classes come from ipaddr.js; nothing here parses an address by hand.
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Why an address is refused by default, e.g. "a private address (RFC 1918)". */
export interface AddressClass {
  description: string;
  /** Cloud metadata: allowed only by an item naming exactly this address (or the host name). */
  metadata: boolean;
}

const V4_CLASSES: Record<string, string> = {
  unspecified: 'an unspecified address (0.0.0.0/8)',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address (224.0.0.0/4)',
  linkLocal: 'a link-local address (169.254.0.0/16)',
  loopback: 'a loopback address (127.0.0.0/8)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address (RFC 1918)',
  reserved: 'a reserved address',
  as112: 'a reserved address (AS112)',
  amt: 'a reserved address (AMT)',
  benchmarking: 'a reserved address (benchmarking)',
};

const V6_CLASSES: Record<string, string> = {
  unspecified: 'the unspecified address (::)',
  linkLocal: 'a link-local address (fe80::/10)',
  multicast: 'a multicast address (ff00::/8)',
  loopback: 'the loopback address (::1)',
  uniqueLocal: 'a unique local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  teredo: 'a Teredo address (2001::/32)',
  discard: 'a discard-only address (100::/64)',
};

const METADATA = ['169.254.169.254', 'fd00:ec2::254'].map((text) => ipaddr.parse(text).toNormalizedString());

/**
 * The IPv4 address an IPv6 address carries, if it is one of the forms that
 * reach IPv4: mapped (::ffff:a.b.c.d), translated (::ffff:0:a.b.c.d),
 * compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
 */
export function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return new ipaddr.IPv4(bytes.slice(12));
  if (range === 'rfc6052' && address.match(ipaddr.IPv6.parse('64:ff9b::'), 96)) return new ipaddr.IPv4(bytes.slice(12));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  // IPv4-compatible ::a.b.c.d (deprecated); :: and ::1 are classified as themselves.
  if (range === 'unicast' && address.match(ipaddr.IPv6.parse('::'), 96)) return new ipaddr.IPv4(bytes.slice(12));
  return undefined;
}

/** Why `address` is refused by default, or undefined for a public address. */
export function classifyAddress(address: Address): AddressClass | undefined {
  if (METADATA.includes(address.toNormalizedString())) return { description: 'a cloud metadata address', metadata: true };
  if (address.kind() === 'ipv4') {
    const range = address.range();
    if (range === 'unicast') return undefined;
    return { description: V4_CLASSES[range] ?? `a reserved address (${range})`, metadata: false };
  }
  const v6 = address as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    const inner = classifyAddress(embedded);
    return inner && { description: `an IPv6 form of ${embedded.toString()}, ${inner.description}`, metadata: inner.metadata };
  }
  const range = v6.range();
  if (range === 'unicast') return undefined;
  return { description: V6_CLASSES[range] ?? `a reserved address (${range})`, metadata: false };
}

/** An IP address literal as it appears in a URL host or a DNS answer ("[::1]" too). */
export function parseIpLiteral(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  return undefined;
}

/** The canonical text of an address (RFC 5952 for IPv6). */
export function addressText(address: Address): string {
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

interface CidrItem {
  network: Address;
  bits: number;
  /** A single address (/32, /128): the only kind of CIDR item that allows a metadata address. */
  single: boolean;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A normalised host name: lower case, no trailing dot. */
export function normaliseHostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** TOOLPORT_HTTP_ALLOW, parsed once: host names, "*.suffix" patterns, CIDRs and bare IPs. */
export class AllowList {
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly cidrs: CidrItem[] = [];

  /** Throws an Error naming the item that is none of the four forms. */
  constructor(items: readonly string[]) {
    for (const raw of items) {
      const item = raw.trim();
      if (!item) continue;
      if (ipaddr.isValidCIDR(item) && (item.includes(':') || ipaddr.IPv4.isValidCIDRFourPartDecimal(item))) {
        const [network, bits] = ipaddr.parseCIDR(item);
        this.cidrs.push({ network, bits, single: bits === (network.kind() === 'ipv4' ? 32 : 128) });
        continue;
      }
      const ip = parseIpLiteral(item);
      if (ip) {
        this.cidrs.push({ network: ip, bits: ip.kind() === 'ipv4' ? 32 : 128, single: true });
        continue;
      }
      const name = normaliseHostName(item);
      if (name.startsWith('*.') && HOST_NAME.test(name.slice(2))) {
        this.suffixes.push(name.slice(1));
        continue;
      }
      if (HOST_NAME.test(name) && !/^[0-9.]+$/.test(name)) {
        this.names.add(name);
        continue;
      }
      throw new Error(`TOOLPORT_HTTP_ALLOW: "${item}" is not a host name, a "*.suffix" pattern, a CIDR (10.0.0.0/8) or an IP address`);
    }
  }

  /** A host-name item (exact or "*.suffix") covers this name: it may resolve to anything. */
  allowsName(hostName: string): boolean {
    const name = normaliseHostName(hostName);
    return this.names.has(name) || this.suffixes.some((suffix) => name.endsWith(suffix));
  }

  /** A CIDR or IP item covers this address (IPv4 and its IPv4-mapped IPv6 form match each other). */
  allowsAddress(address: Address, metadata: boolean): boolean {
    const forms: Address[] = [address];
    if (address.kind() === 'ipv4') forms.push((address as ipaddr.IPv4).toIPv4MappedAddress());
    else if ((address as ipaddr.IPv6).isIPv4MappedAddress()) forms.push((address as ipaddr.IPv6).toIPv4Address());
    return this.cidrs.some(
      (item) => (item.single || !metadata) && forms.some((form) => form.kind() === item.network.kind() && form.match(item.network, item.bits)),
    );
  }
}

/** Why an address may not be reached: the address, its class, and how to allow it. */
export interface Refusal {
  address: string;
  description: string;
  hint: string;
}

/** The refusal of `address`, or undefined when it may be reached: public, or listed in the allow-list. */
export function refusalReason(address: Address, allow: AllowList): Refusal | undefined {
  const found = classifyAddress(address);
  if (!found || allow.allowsAddress(address, found.metadata)) return undefined;
  const text = addressText(address);
  const hint = found.metadata
    ? `allow it with TOOLPORT_HTTP_ALLOW=${text}${address.kind() === 'ipv4' ? '/32' : '/128'} (a wider range does not)`
    : 'allow it with TOOLPORT_HTTP_ALLOW';
  return { address: text, description: found.description, hint };
}
