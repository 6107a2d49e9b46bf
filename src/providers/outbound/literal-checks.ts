import { type AllowList, addressText, parseIpLiteral, refusalReason } from './address-policy.ts';
import type { ResolvedAddress } from './resolve.ts';

/**
 * The verdict on a URL host that is an IP literal, kept per host text: the
 * policy does not change while the client lives, and an http tool calls the
 * same host on every call (parsing and classifying the address each time was
 * a measurable share of a call). Bounded: past MAX entries it starts over.
 */
export class LiteralChecks {
  private static readonly MAX = 1024;
  private readonly verdicts = new Map<string, ResolvedAddress[] | { refused: string } | null>();
  constructor(private readonly allow: AllowList) {}

  /** The one address of a literal host, `{ refused }` with the reason, or null when the host is a name. */
  check(hostname: string): ResolvedAddress[] | { refused: string } | null {
    let verdict = this.verdicts.get(hostname);
    if (verdict !== undefined) return verdict;
    const literal = parseIpLiteral(hostname);
    if (!literal) verdict = null;
    else {
      const reason = refusalReason(literal, this.allow);
      verdict = reason
        ? { refused: `${reason.address} is ${reason.description}; ${reason.hint}` }
        : [{ address: addressText(literal), family: literal.kind() === 'ipv4' ? 4 : 6 }];
    }
    if (this.verdicts.size >= LiteralChecks.MAX) this.verdicts.clear();
    this.verdicts.set(hostname, verdict);
    return verdict;
  }
}
