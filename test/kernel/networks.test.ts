/**
 * Addresses and networks: the strict forms firewalls, DNS and Hetzner agree on, the addresses a
 * network covers, and IPv6 host addresses written as RFC 5952 says.
 */
import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { ipv6Groups, ipv6Text, isIpv4Address, parseIpAddress, parseIpNetwork } from "../../kernel/networks";

describe("parseIpAddress", () => {
  // Node's own reader is the reference the spec used before; only zone indexes differ (refused here).
  it.each([
    "1.2.3.4",
    "255.255.255.255",
    "0.0.0.0",
    "::",
    "::1",
    "2001:db8::1",
    "ABCD::EF",
    "1:2:3:4:5:6:7::",
    "::ffff:192.0.2.1",
    "1:2:3:4:5:6:1.2.3.4",
    "0000::1",
  ])("reads %s as node does", (text) => {
    expect(isIP(text)).not.toBe(0);
    expect(parseIpAddress(text)).toBeDefined();
  });

  it.each([
    "127.1", // ipaddr.js alone reads these, other tools read them differently or not at all
    "0x7f.0.0.1",
    "010.0.0.1",
    "1.2.3.04",
    "256.1.1.1",
    " 1.2.3.4",
    "::ffff:127.1",
    "::ffff:010.1.1.1",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "fe80::1%eth0",
    "",
  ])("refuses %j", (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
  });

  it("tells IPv4 from IPv6", () => {
    expect(isIpv4Address("203.0.113.7")).toBe(true);
    expect(isIpv4Address("2001:db8::7")).toBe(false);
    expect(isIpv4Address("::ffff:203.0.113.7")).toBe(false);
  });
});

describe("parseIpNetwork", () => {
  it("is the addresses the network covers", () => {
    expect(parseIpNetwork("198.51.100.7/24")).toEqual({ family: "ipv4", prefix: 24, first: 0xc6336400n, last: 0xc63364ffn });
    expect(parseIpNetwork("2001:db8:1234::/48")).toEqual({
      family: "ipv6",
      prefix: 48,
      first: 0x20010db8123400000000000000000000n,
      last: 0x20010db81234ffffffffffffffffffffn,
    });
    expect(parseIpNetwork("::/0")).toMatchObject({ prefix: 0, first: 0n, last: (1n << 128n) - 1n });
  });

  it("needs a prefix unless told a bare address is one host", () => {
    expect(parseIpNetwork("203.0.113.9")).toBeUndefined();
    expect(parseIpNetwork("203.0.113.9", { hostIfNoPrefix: true })).toEqual({
      family: "ipv4",
      prefix: 32,
      first: 0xcb007109n,
      last: 0xcb007109n,
    });
  });

  it("reads an IPv4-mapped IPv6 network as the IPv4 network it is", () => {
    expect(parseIpNetwork("::ffff:0:0/96")).toMatchObject({ family: "ipv4", prefix: 0 });
    expect(parseIpNetwork("::ffff:10.0.0.0/104")).toMatchObject({ family: "ipv4", prefix: 8, first: 0x0a000000n });
    expect(parseIpNetwork("::ffff:0:0/95")).toMatchObject({ family: "ipv6", prefix: 95 });
  });

  it.each(["1.2.3.4/33", "::/129", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/0x8", "1.2.3.4/1000", "127.1/8", "bogus/8"])("refuses %j", (text) => {
    expect(parseIpNetwork(text)).toBeUndefined();
  });
});

describe("IPv6 groups and text", () => {
  it("round-trips through RFC 5952 text", () => {
    expect(ipv6Groups("2001:0DB8:0000:0000:0001:0000:0000:0000")).toEqual([0x2001, 0xdb8, 0, 0, 1, 0, 0, 0]);
    expect(ipv6Text([0x2001, 0xdb8, 0, 0, 1, 0, 0, 0])).toBe("2001:db8:0:0:1::");
    expect(ipv6Text([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe("2001:db8::1:0:0:1");
    expect(ipv6Text([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe("2001:db8:0:1:1:1:1:1");
    expect(ipv6Groups("203.0.113.7")).toBeUndefined();
  });
});
