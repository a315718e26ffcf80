import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { accessAssertion } from "../support/access";
import { admin, waitForAudit } from "../support/admin";
import { captureSms, get, json, post, requestCode, signIn, uniquePhone, wrongCode } from "../support/helpers";
import { waitForBackground } from "../support/time";

const sms = captureSms();

interface Stats {
  days: { day: string; provider: string; country: string; sent: number; failed: number; verified: number; conversion: number | null }[];
  lowestRanges: { range: string; sent: number; verified: number; conversion: number | null }[];
}

const consoleToday = async () => {
  const stats = await json<Stats>(await admin("GET", "/stats?days=1"));
  return stats.days.find((d) => d.provider === "console" && d.country === "CN") ?? { sent: 0, verified: 0, failed: 0, conversion: null };
};

describe("admin: audit trail and figures", () => {
  it("counts a scripted mix of verified and unverified sends per day, provider and country", async () => {
    const before = await consoleToday();
    const phones = Array.from({ length: 6 }, () => uniquePhone());
    const codes = await Promise.all(phones.map((phone) => requestCode(sms, phone)));
    // Two verified, one wrong guess (not verified), three never tried.
    await post("/v1/auth/sms-login", { phone: phones[0], code: codes[0] });
    await post("/v1/codes/verify", { phone: phones[1], purpose: "login", code: codes[1] });
    await post("/v1/auth/sms-login", { phone: phones[2], code: wrongCode(codes[2]!) });
    let after = before;
    await waitForBackground(async () => {
      after = await consoleToday();
      return after.sent === before.sent + 6 && after.verified === before.verified + 2;
    });
    expect(after.conversion).toBeCloseTo(after.verified / after.sent, 3);
    const hourly = await json<{ hours: { hour: string; sent: number; verified: number }[] }>(await admin("GET", "/stats/hourly"));
    expect(hourly.hours).toHaveLength(48);
    // The last two hours: an hour may turn between the sends and this read.
    const recent = hourly.hours.slice(-2);
    expect(recent.reduce((n, h) => n + h.sent, 0)).toBeGreaterThanOrEqual(6);
    expect(recent.reduce((n, h) => n + h.verified, 0)).toBeGreaterThanOrEqual(2);
  });

  it("lists the lowest-converting ranges among those with enough sends", async () => {
    const good = uniquePhone();
    const bad = uniquePhone();
    const code = await requestCode(sms, good);
    await post("/v1/auth/sms-login", { phone: good, code });
    await requestCode(sms, bad);
    let stats: Stats = { days: [], lowestRanges: [] };
    await waitForBackground(async () => {
      stats = await json<Stats>(await admin("GET", "/stats?days=1&minSends=1"));
      return stats.lowestRanges.some((r) => bad.startsWith(r.range)) && stats.lowestRanges.some((r) => r.verified > 0);
    }).catch(() => undefined);
    const worst = stats.lowestRanges.findIndex((r) => bad.startsWith(r.range));
    expect(worst).toBeGreaterThanOrEqual(0);
    expect(stats.lowestRanges[worst]!.conversion).toBe(0);
    const conversions = stats.lowestRanges.map((r) => r.conversion ?? 0);
    expect(conversions).toEqual([...conversions].sort((a, b) => a - b));
    expect((await admin("GET", "/stats?days=0")).status).toBe(400);
  });

  it("finds a phone's and a user's entries, newest first, a page at a time", async () => {
    const { phone, user } = await signIn(sms);
    await waitForAudit((r) => r.type === "sign_in" && r.user_id === user.id);
    for (const type of ["code.sent", "code.verified", "user.created"]) await waitForAudit((r) => r.type === type && r.user_id !== undefined);
    type Page = { entries: { id: number; type: string; phone: string }[]; nextBefore: number | null };
    const byPhone = await json<Page>(await admin("GET", `/audit?phone=${encodeURIComponent(phone)}&limit=2`));
    expect(byPhone.entries).toHaveLength(2);
    expect(byPhone.entries[0]!.id).toBeGreaterThan(byPhone.entries[1]!.id);
    expect(byPhone.entries[0]!.phone).not.toContain(phone.slice(-8));
    expect(byPhone.nextBefore).toBe(byPhone.entries[1]!.id);
    const next = await json<Page>(await admin("GET", `/audit?phone=${encodeURIComponent(phone)}&limit=10&before=${byPhone.nextBefore}`));
    expect(next.nextBefore).toBeNull();
    expect(next.entries.every((e) => e.id < byPhone.nextBefore!)).toBe(true);
    // Everything this sign-in left, over both pages: sent, verified, created, signed in.
    expect([...byPhone.entries, ...next.entries].map((e) => e.type).sort()).toEqual(["code.sent", "code.verified", "sign_in", "user.created"]);
    const byUser = await json<Page>(await admin("GET", `/audit?userId=${user.id}`));
    expect(byUser.entries.map((e) => e.type)).toEqual(expect.arrayContaining(["sign_in", "user.created"]));
    expect((await admin("GET", `/audit?userId=${user.id}&phone=${encodeURIComponent(phone)}`)).status).toBe(400);
  });

  it("prunes entries older than AUDIT_RETENTION_DAYS in the daily Cron Trigger", async () => {
    const day = 24 * 3600_000;
    await env.DB.prepare("INSERT INTO audit_events (at, type) VALUES (?, 'old.entry'), (?, 'recent.entry')")
      .bind(Date.now() - 31 * day, Date.now() - 29 * day)
      .run();
    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const types = (await env.DB.prepare("SELECT type FROM audit_events WHERE type LIKE '%.entry'").all<{ type: string }>()).results.map((r) => r.type);
    expect(types).toEqual(["recent.entry"]);
  });
});

describe("admin: Cloudflare Access", () => {
  it("lets in a verified Access JWT (its email becomes the actor) and refuses a forged one", async () => {
    const team = "ops-team.cloudflareaccess.com";
    const aud = "a".repeat(64);
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const other = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const certs = vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
      const url = new Request(input).url;
      if (url === `https://${team}/cdn-cgi/access/certs`) return Response.json({ keys: [jwk] });
      return new Response("unexpected", { status: 500 });
    });
    const sign = (key: CryptoKey, audience = aud) => accessAssertion({ team, aud: audience }).sign(key);
    const accessEnv = { ADMIN_API_KEYS: "", ACCESS_TEAM_DOMAIN: team, ACCESS_AUD: aud };
    const as = (jwt: string) => get("/v1/admin/budget", { env: accessEnv, headers: { "Cf-Access-Jwt-Assertion": jwt } });

    expect((await as(await sign(privateKey))).status).toBe(200);
    expect((await as(await sign(other.privateKey))).status).toBe(401);
    expect((await as(await sign(privateKey, "someone-else"))).status).toBe(401);
    expect((await get("/v1/admin/budget", { env: accessEnv })).status).toBe(401);
    expect(certs).toHaveBeenCalled();

    const phone = uniquePhone();
    const unlocked = await post(`/v1/admin/phones/${encodeURIComponent(phone)}/unlock`, undefined, {
      env: accessEnv,
      headers: { "Cf-Access-Jwt-Assertion": await sign(privateKey) },
    });
    expect(unlocked.status).toBe(200);
    const row = await waitForAudit((r) => r.type === "admin.phone_unlocked" && r.actor === "oncall@example.com");
    expect(row.actor).toBe("oncall@example.com");
    certs.mockRestore();
  });

  it("refuses half an Access configuration, naming the missing setting", async () => {
    const response = await get("/healthz", { env: { ACCESS_TEAM_DOMAIN: "ops-team.cloudflareaccess.com" } });
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).toContain("ACCESS_AUD");
  });
});
