import { describe, expect, it } from "vitest";
import { issue, MAX_LIVE_TICKETS, restore, spend, sweep, type Tickets } from "../../src/limits/wechat-tickets";
import { maskWechatIdentifier, wechatIdentifier } from "../../src/wechat/identity";
import { cacheEntry, decide } from "../../src/wechat/token-cache";

const NOW = 1_800_000_000_000;

describe("access-token cache decisions", () => {
  const cached = cacheEntry("wxA", "T1", 7200, NOW);

  it("refreshes 300 s before WeChat's expiry (at most half the life of a short token)", () => {
    expect(cached.refreshAt).toBe(NOW + 6900_000);
    expect(cacheEntry("wxA", "T", 400, NOW).refreshAt).toBe(NOW + 200_000);
  });

  it("uses the cached token until then, and fetches normally after", () => {
    expect(decide(cached, "wxA", undefined, NOW + 6899_999)).toEqual({ use: "T1" });
    expect(decide(cached, "wxA", undefined, NOW + 6900_000)).toEqual({ fetch: "normal" });
    expect(decide(undefined, "wxA", undefined, NOW)).toEqual({ fetch: "normal" });
  });

  it("forces a refresh only when the refused token is still the cached one", () => {
    expect(decide(cached, "wxA", "T1", NOW)).toEqual({ fetch: "force" });
    expect(decide(cached, "wxA", "T0", NOW)).toEqual({ use: "T1" });
    expect(decide(undefined, "wxA", "T1", NOW)).toEqual({ fetch: "force" });
  });

  it("never hands one app's token to another", () => {
    expect(decide(cached, "wxB", undefined, NOW)).toEqual({ fetch: "normal" });
  });
});

describe("ticket single use", () => {
  const entry = (expiresAt: number) => ({ openid: "o", expiresAt });

  it("a registered ticket is spent once; a second spend and an unknown id fail and write nothing", () => {
    const issued = issue(undefined, "j1", entry(NOW + 300_000), NOW).state;
    const first = spend(issued, "j1", NOW + 1);
    expect(first.result).toEqual({ ok: true, entry: entry(NOW + 300_000) });
    expect(spend(first.state, "j1", NOW + 2)).toEqual({ result: { ok: false }, state: undefined });
    expect(spend(issued, "other", NOW)).toEqual({ result: { ok: false }, state: undefined });
  });

  it("an expired ticket cannot be spent or restored", () => {
    const issued = issue(undefined, "j1", entry(NOW + 300_000), NOW).state;
    expect(spend(issued, "j1", NOW + 300_000).result.ok).toBe(false);
    expect(restore({}, "j1", entry(NOW + 10), NOW + 10).state).toBeUndefined();
    expect(restore({}, "j1", entry(NOW + 10), NOW).state).toEqual({ j1: entry(NOW + 10) });
  });

  it("keeps at most MAX_LIVE_TICKETS per identity, dropping the oldest; sweep drops the expired", () => {
    let tickets: Tickets | undefined;
    for (let i = 0; i < MAX_LIVE_TICKETS + 3; i++) tickets = issue(tickets, `j${i}`, entry(NOW + 1000 + i), NOW).state;
    expect(Object.keys(tickets!).sort()).toEqual(["j3", "j4", "j5", "j6", "j7"]);
    expect(Object.keys(sweep(tickets, NOW + 1005)!).sort()).toEqual(["j6", "j7"]);
    expect(sweep(tickets, NOW + 1007)).toBeUndefined();
  });
});

describe("WeChat identifiers", () => {
  it("prefer the unionid", () => {
    expect(wechatIdentifier({ openid: "o1", unionid: "u1" })).toBe("u1");
    expect(wechatIdentifier({ openid: "o1" })).toBe("o1");
  });

  it("are masked to their first and last four characters", () => {
    expect(maskWechatIdentifier("oGZUI0egBJY1zhBYw2KhdUfwVJJE")).toBe("oGZU****VJJE");
    expect(maskWechatIdentifier("short")).toBe("****");
  });
});
