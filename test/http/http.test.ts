import { describe, expect, it } from "vitest";
import { call, captureSms, get, post, uniquePhone } from "../support/helpers";

const sms = captureSms();

describe("X-Request-Id", () => {
  it("is on every answer, errors included, and on the log lines of that request", async () => {
    const phone = uniquePhone();
    const sent = await post("/v1/codes", { phone, purpose: "login" });
    const id = sent.headers.get("X-Request-Id");
    expect(id).toBeTruthy();
    const logged = sms.events().filter((e) => e.event === "code.sent" && e.phone === `${phone.slice(0, 6)}****${phone.slice(-4)}`);
    expect(logged.map((e) => e.requestId)).toEqual([id]);

    for (const response of [await get("/nope"), await post("/v1/codes", "{bad"), await get("/v1/me")]) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.headers.get("X-Request-Id")).toMatch(/\S+/);
    }
  });

  it("differs between requests", async () => {
    const a = (await get("/healthz")).headers.get("X-Request-Id");
    const b = (await get("/healthz")).headers.get("X-Request-Id");
    expect(a).not.toBe(b);
  });
});

describe("CORS", () => {
  const preflight = (origin: string, env?: Record<string, unknown>) =>
    call("OPTIONS", "/v1/codes", undefined, {
      headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      ...(env ? { env } : {}),
    });

  it("grants no cross-origin access by default", async () => {
    const response = await preflight("https://app.example.com");
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const simple = await get("/healthz", { headers: { Origin: "https://app.example.com" } });
    expect(simple.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("allows exactly the configured origins", async () => {
    const env = { CORS_ORIGINS: "https://app.example.com, https://admin.example.com" };
    const allowed = await preflight("https://app.example.com", env);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");

    const other = await preflight("https://evil.example.com", env);
    expect(other.headers.get("Access-Control-Allow-Origin")).toBeNull();

    const answer = await get("/nope", { headers: { Origin: "https://admin.example.com" }, env });
    expect(answer.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example.com");
    expect(answer.headers.get("Access-Control-Expose-Headers")).toContain("Retry-After");
  });
});
