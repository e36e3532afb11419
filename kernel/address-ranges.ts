/**
 * Address ranges that never appear as the source of a connection from the internet to a
 * public server: documentation examples, private and shared networks, loopback, link-local,
 * multicast. A value in one of them cannot work on a real deploy (the readiness check), and
 * is never a CI runner's public address (the deploy job's SSH access).
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";

export interface SpecialRange {
  readonly network: string;
  /** What the range is for, in words a reader of an error message understands. */
  readonly purpose: string;
  /** The registry entry or RFC that reserves it. */
  readonly source: string;
  readonly documentation: boolean;
}

const range = (network: string, purpose: string, source: string, documentation = false): SpecialRange => ({
  network,
  purpose,
  source,
  documentation,
});

/** From the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the RFCs named). */
export const SPECIAL_RANGES: readonly SpecialRange[] = [
  range("192.0.2.0/24", "documentation examples (TEST-NET-1)", "RFC 5737", true),
  range("198.51.100.0/24", "documentation examples (TEST-NET-2)", "RFC 5737", true),
  range("203.0.113.0/24", "documentation examples (TEST-NET-3)", "RFC 5737", true),
  range("2001:db8::/32", "documentation examples", "RFC 3849", true),
  range("3fff::/20", "documentation examples", "RFC 9637", true),
  range("10.0.0.0/8", "private networks", "RFC 1918"),
  range("172.16.0.0/12", "private networks", "RFC 1918"),
  range("192.168.0.0/16", "private networks", "RFC 1918"),
  range("100.64.0.0/10", "carrier-grade NAT inside a provider", "RFC 6598"),
  range("fc00::/7", "unique local (private) networks", "RFC 4193"),
  range("127.0.0.0/8", "loopback (this machine)", "RFC 1122"),
  range("::1/128", "loopback (this machine)", "RFC 4291"),
  range("169.254.0.0/16", "link-local addresses", "RFC 3927"),
  range("fe80::/10", "link-local addresses", "RFC 4291"),
  range("0.0.0.0/8", "'this network'", "RFC 1122"),
  range("224.0.0.0/4", "multicast", "RFC 5771"),
  range("ff00::/8", "multicast", "RFC 4291"),
  range("240.0.0.0/4", "reserved addresses", "RFC 1112"),
];

interface Indexed {
  readonly range: SpecialRange;
  readonly list: BlockList;
  readonly bits: number;
}

const INDEX: readonly Indexed[] = SPECIAL_RANGES.map((r) => {
  const [address, bits] = r.network.split("/");
  const list = new BlockList();
  list.addSubnet(address, Number(bits), isIPv4(address) ? "ipv4" : "ipv6");
  return { range: r, list, bits: Number(bits) };
});

/** An address (family and text), or undefined when `text` is not an IPv4 or IPv6 address. */
function familyOf(text: string): "ipv4" | "ipv6" | undefined {
  if (isIPv4(text)) return "ipv4";
  if (isIPv6(text)) return "ipv6";
  return undefined;
}

/**
 * The special range that holds all of `network` (CIDR, or a bare address), if any. A wider
 * network that merely contains a special range (e.g. 0.0.0.0/0) is not inside it.
 */
export function specialRangeOf(network: string): SpecialRange | undefined {
  const [address, bitsText] = network.split("/");
  const family = familyOf(address);
  if (!family) return undefined;
  const bits = bitsText === undefined ? (family === "ipv4" ? 32 : 128) : Number(bitsText);
  for (const i of INDEX) if (bits >= i.bits && i.list.check(address, family)) return i.range;
  return undefined;
}

/** The single-address network of a bare address: 20.1.2.3 → 20.1.2.3/32, 2a01:4f8::1 → 2a01:4f8::1/128. */
export function hostNetwork(address: string): string | undefined {
  const family = familyOf(address);
  if (!family) return undefined;
  return `${address}/${family === "ipv4" ? 32 : 128}`;
}
