import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientKey } from "../../src/limits/client-key";

describe("clientKey", () => {
  it("counts an IPv4 address as itself, in canonical form", () => {
    expect(clientKey("203.0.113.7")).toBe("ip:203.0.113.7");
    expect(clientKey(" 203.0.113.7 ")).toBe("ip:203.0.113.7");
    expect(clientKey("203.000.113.007")).toBe("ip:203.0.113.7");
  });

  it("counts an IPv6 address by its /64, in every spelling", () => {
    const key = "ip6:2001:db8:1:2::/64";
    for (const address of [
      "2001:db8:1:2::1",
      "2001:0db8:0001:0002:0000:0000:0000:0001",
      "2001:DB8:1:2:ffff:ffff:ffff:ffff",
      "2001:db8:1:2:aaaa::bbbb",
      "2001:db8:1:2::10.0.0.1",
    ]) {
      expect(clientKey(address), address).toBe(key);
    }
    expect(clientKey("2001:db8:1:3::1")).toBe("ip6:2001:db8:1:3::/64");
    expect(clientKey("2001:db8::1")).toBe("ip6:2001:db8:0:0::/64");
    expect(clientKey("::1")).toBe("ip6:0:0:0:0::/64");
  });

  it("counts an IPv4-mapped IPv6 address as the IPv4 address, not as the shared ::/64", () => {
    expect(clientKey("::ffff:203.0.113.7")).toBe("ip:203.0.113.7");
    expect(clientKey("::FFFF:203.0.113.7")).toBe("ip:203.0.113.7");
    expect(clientKey("0:0:0:0:0:ffff:203.0.113.7")).toBe("ip:203.0.113.7");
    expect(clientKey("::ffff:198.51.100.1")).not.toBe(clientKey("::ffff:203.0.113.7"));
  });

  it("puts missing and unparseable addresses under one shared key (never skipped)", () => {
    for (const address of [
      undefined,
      "",
      "   ",
      "not an ip",
      "256.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "fe80::1%eth0",
      "12345::1",
      "::ffff:300.1.1.1",
    ]) {
      expect(clientKey(address), String(address)).toBe("ip:unknown");
    }
  });

  it("maps every IPv4 address to itself and every IPv6 address to the /64 of its first four groups", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(clientKey(ip)).toBe(`ip:${ip}`);
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16)).join(":");
        expect(clientKey(full)).toBe(
          `ip6:${groups
            .slice(0, 4)
            .map((g) => g.toString(16))
            .join(":")}::/64`,
        );
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const key = clientKey(ip);
        expect(key === "ip:unknown" || key.startsWith("ip6:") || key.startsWith("ip:")).toBe(true);
        expect(key).not.toBe("ip:unknown");
      }),
    );
  });

  it("never throws on junk", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: "grapheme", maxLength: 64 }),
          fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:.%/ \u0000\u00a0汉😀"), maxLength: 64 }),
        ),
        (junk) => typeof clientKey(junk) === "string",
      ),
    );
  });
});
