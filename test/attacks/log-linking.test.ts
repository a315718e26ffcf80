/**
 * Issue 10 item 8: the logs hide what the docs say they hide. The client tag is keyed with
 * AUTH_SECRET (an unkeyed hash of an IPv4 address is reversed by trying all 2^32), and no request
 * logs both a number range and a masked number, which together would give the full number.
 */
import { describe, expect, it } from "vitest";
import { clientKey } from "../../src/limits/client-key";
import { sha256Hex } from "../../src/platform/crypto";
import { eventsNamed, freshRange, phoneIn } from "../support/attacks";
import { captureSms, post, requestCode, uniqueIp, uniquePhone } from "../support/helpers";

const sms = captureSms();

describe("log lines cannot be joined into what they hide", () => {
  it("ip.limited's client tag is keyed: not the SHA-256 of the address", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 10; i += 1) await requestCode(sms, uniquePhone(), "login", { ip });
    expect((await post("/v1/codes", { phone: uniquePhone(), purpose: "login" }, { ip })).status).toBe(429);
    const tag = eventsNamed(sms, "ip.limited").at(-1)!.client as string;
    expect(tag).toMatch(/^[0-9a-f]{12}$/);
    expect(tag).not.toBe((await sha256Hex(clientKey(ip))).slice(0, 12));
  });

  it("no request id carries both a number range and a masked number", async () => {
    const range = freshRange();
    for (let i = 0; i < 22; i += 1) await post("/v1/codes", { phone: phoneIn(range, i), purpose: "login" });
    const lines = sms.events().filter((e) => e.event !== "sms.console");
    const withRange = new Set(lines.filter((e) => typeof e.range === "string").map((e) => e.requestId));
    expect(eventsNamed(sms, "prefix.blocked").length).toBe(1);
    expect(eventsNamed(sms, "prefix.refused").length).toBeGreaterThan(0);
    for (const line of lines) if (withRange.has(line.requestId)) expect(typeof line.phone, JSON.stringify(line)).not.toBe("string");
  });
});
