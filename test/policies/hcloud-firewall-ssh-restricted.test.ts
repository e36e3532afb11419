/**
 * SSH exposure is judged by the addresses the sources cover, not by the spelling of "the world":
 * halves of the address space, or many narrow networks that add up to it, are the world too.
 */
import { describe, expect, it } from "vitest";
import { coveredAddresses, parseCidr, worldExposure } from "../../policies/hcloud-firewall-ssh-restricted";

describe("parseCidr", () => {
  it("reads IPv4 and IPv6 networks, and a bare address as one host", () => {
    expect(parseCidr("198.51.100.7/24")).toEqual({ family: "ipv4", prefix: 24, first: 0xc6336400n, last: 0xc63364ffn });
    expect(parseCidr("203.0.113.9")).toMatchObject({ family: "ipv4", prefix: 32, first: 0xcb007109n, last: 0xcb007109n });
    expect(parseCidr("2001:db8:1234::/48")).toMatchObject({ family: "ipv6", prefix: 48, first: 0x20010db8123400000000000000000000n });
    expect(parseCidr("::/0")).toMatchObject({ family: "ipv6", prefix: 0, first: 0n, last: (1n << 128n) - 1n });
  });

  it("reads an IPv4-mapped IPv6 network as the IPv4 network it maps", () => {
    expect(parseCidr("::ffff:0.0.0.0/96")).toMatchObject({ family: "ipv4", prefix: 0, first: 0n, last: 0xffffffffn });
    expect(parseCidr("::ffff:0:0/96")).toMatchObject({ family: "ipv4", prefix: 0 });
    expect(parseCidr("::ffff:10.0.0.0/104")).toMatchObject({ family: "ipv4", prefix: 8, first: 0x0a000000n });
  });

  it("refuses what is not a network", () => {
    for (const s of ["bogus", "1.2.3.4/33", "::/129", "1.2.3.4/", "1.2.3.4/-1", "300.1.1.1/8"]) expect(parseCidr(s), s).toBeUndefined();
  });

  it("counts overlapping networks once", () => {
    const nets = ["10.0.0.0/8", "10.0.0.0/9", "10.200.0.0/16"].map((s) => parseCidr(s)!);
    expect(coveredAddresses(nets)).toBe(1n << 24n);
  });
});

describe("worldExposure", () => {
  it("passes the admins' networks", () => {
    expect(worldExposure(["198.51.100.0/24", "2001:db8:1234::/48", "203.0.113.9"])).toBeUndefined();
    expect(worldExposure(["10.0.0.0/8", "2001:db8::/32"])).toBeUndefined();
  });

  it("flags the world however it is spelled", () => {
    expect(worldExposure(["0.0.0.0/0"])).toBe("0.0.0.0/0");
    expect(worldExposure(["0.0.0.0/0", "::/0"])).toBe("0.0.0.0/0 and ::/0");
    expect(worldExposure(["0.0.0.0/1", "128.0.0.0/1"])).toMatch(
      /0\.0\.0\.0\/1 and 128\.0\.0\.0\/1, which together cover the whole IPv4 internet/,
    );
    expect(worldExposure(["::/1", "8000::/1"])).toMatch(/together cover the whole IPv6 internet/);
    expect(worldExposure(["::ffff:0.0.0.0/96"])).toBe("::ffff:0.0.0.0/96");
  });

  it("flags a source broader than the limit: 0.0.0.0/1, 128.0.0.0/1, ::/1, a /7, a /31", () => {
    for (const s of ["0.0.0.0/1", "128.0.0.0/1", "0.0.0.0/7"]) expect(worldExposure([s]), s).toMatch(/broader than \/8/);
    for (const s of ["::/1", "2000::/3", "2001:db8::/31"]) expect(worldExposure([s]), s).toMatch(/broader than \/32/);
  });

  it("flags narrow networks that add up to more than the limit", () => {
    expect(worldExposure(["10.0.0.0/8", "11.0.0.0/8"])).toMatch(/together cover more IPv4 addresses than a \/8/);
    const all256 = Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`);
    expect(worldExposure(all256)).toMatch(/together cover the whole IPv4 internet/);
  });

  it("fails closed on a source it cannot read", () => {
    expect(worldExposure(["198.51.100.0/24", "anywhere"])).toMatch(/anywhere, which the policy cannot read as networks/);
  });
});
