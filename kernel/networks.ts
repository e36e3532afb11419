/**
 * IP addresses and networks in CIDR notation, read with ipaddr.js: the spec's SSH sources, the
 * firewall policy's network math and the DNS records' IPv6 host address all read them here.
 *
 * Only the forms firewalls, DNS and Hetzner's API agree on are accepted: dotted-quad IPv4 with
 * decimal octets (ipaddr.js alone would also read "127.1", "0x7f.0.0.1" and octal "010.0.0.1",
 * which other tools read differently), and IPv6 without a zone index ("fe80::1%eth0" names an
 * interface of one machine, not a network).
 */
import ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export const ADDRESS_BITS: Readonly<Record<IpFamily, number>> = { ipv4: 32, ipv6: 128 };

/** A network as the addresses it covers: [first, last] within its family. */
export interface IpNetwork {
  readonly family: IpFamily;
  readonly prefix: number;
  readonly first: bigint;
  readonly last: bigint;
}

/** An IPv4 or IPv6 address in the strict forms above; undefined for anything else. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text) || text.includes("%")) return undefined;
  // An embedded IPv4 tail (::ffff:192.0.2.1) follows the IPv4 rules too.
  if (text.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(text.slice(text.lastIndexOf(":") + 1))) return undefined;
  return ipaddr.IPv6.parse(text);
}

export function isIpv4Address(text: string): boolean {
  return parseIpAddress(text)?.kind() === "ipv4";
}

/**
 * Reads "address/prefix" (without a prefix: one address, when `hostIfNoPrefix`). Undefined when
 * the address is not one of the strict forms or the prefix is out of range. An IPv4-mapped
 * IPv6 network (within ::ffff:0:0/96) is the IPv4 network it maps: the same addresses, so it
 * cannot pass for a small IPv6 network.
 */
export function parseIpNetwork(text: string, opts: { hostIfNoPrefix?: boolean } = {}): IpNetwork | undefined {
  const slash = text.indexOf("/");
  if (slash < 0 && !opts.hostIfNoPrefix) return undefined;
  const address = parseIpAddress(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const family = address.kind();
  const prefixText = slash < 0 ? String(ADDRESS_BITS[family]) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > ADDRESS_BITS[family]) return undefined;
  if (address instanceof ipaddr.IPv6 && prefix >= 96 && address.isIPv4MappedAddress()) {
    return network("ipv4", prefix - 96, address.toIPv4Address());
  }
  return network(family, prefix, address);
}

function network(family: IpFamily, prefix: number, address: IpAddress): IpNetwork {
  const value = address.toByteArray().reduce((v, byte) => (v << 8n) | BigInt(byte), 0n);
  const hostBits = BigInt(ADDRESS_BITS[family] - prefix);
  const first = (value >> hostBits) << hostBits;
  return { family, prefix, first, last: first + (1n << hostBits) - 1n };
}

/** The eight 16-bit groups of an IPv6 address; undefined when the text is not one. */
export function ipv6Groups(text: string): number[] | undefined {
  const address = parseIpAddress(text);
  return address instanceof ipaddr.IPv6 ? [...address.parts] : undefined;
}

/** RFC 5952 text of an IPv6 address given as its eight 16-bit groups. */
export function ipv6Text(groups: readonly number[]): string {
  return new ipaddr.IPv6([...groups]).toRFC5952String();
}
